# hygiene: patterns begin
"""The repository speaks of the project only: facts about its code, configs and commands, each measured number with
its hardware and command, and nothing of how the project was made.

Every file git tracks (and every new file it would track: ``git ls-files --cached --others --exclude-standard``) is
read, except the binary files named by ``BINARY_SUFFIXES``; any other file that is not UTF-8 text fails the test, so
nothing is skipped silently. The only lines left out are this docstring and this file's own patterns and sample
lines, each between two region markers. A match is reported as ``path:line: rule: text``. The rules:

* ``stage or session``: a numbered stage or session of the project's making (the word followed by a number, or a
  range of them). A run's training sessions (the ones a resume adds up) and pytest's session fixtures carry no
  number and stay allowed.
* ``issue``: the project's own issue or pull-request numbers (a bare hash-number, the word issue or PR followed by a
  number) and its unnumbered one (the possessive of "issue"). Upstream references stay allowed when they name their
  project: a URL, ``owner/repo#N``, a link whose text is the number and whose target is a URL, or ``<Project> issue
  N`` for a project of ``UPSTREAM``.
* ``machine path``: a development machine's folders (work, tmp, home, root, scratch, mnt and Users at the root
  of the file system) and a relative path that climbs out of the repository (``../`` resolved from the file's
  folder). Documented system locations (``/usr/share/datasets/fashion-mnist``, ``/usr/bin/env``) and pytest's
  ``tmp_path`` stay allowed.
* ``machine narrative``: how busy, shared, quiet, idle, niced or wiped a machine was, its load, or which day it
  was. The rule decided here: a number states its measuring condition by what ran with it as part of the
  measurement (``--jobs 2``, "two at once", "beside another run", "alone", "one thread") and by its hardware;
  where the hardware also ran other work, the wall time is written as an upper bound ("not measured alone").
  "Quiet" or "idle" machines are not a condition this rule accepts: "alone" says the same about the measurement.
* ``date``: the date of a run (an ISO date, a day and month, a month and year). Years of cited papers stay allowed.
* ``to-do``: the markers and phrases of open work (the usual capitalised markers, "still to come", "to
  re-measure", "not yet measured", "tried so far"). The docs say what is measured, not what is not yet.
"""
# hygiene: patterns end

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
THIS = Path(__file__).resolve()
BINARY_SUFFIXES = {".png", ".gif", ".jpg", ".jpeg", ".pt", ".ckpt", ".npz", ".npy", ".wav", ".gz", ".zip"}
"""Files read as bytes only; every other file must be UTF-8 text and is scanned."""

# hygiene: patterns begin
MACHINE = r"(?:machines?|CPUs?|cores?|VMs?|hosts?|boxe?s?|nodes?)"
UPSTREAM = r"(?i:pytorch|torch|lightning|torchmetrics|torchvision|omegaconf|wandb|numpy|python|triton|cuda|cudnn)"
"""Projects whose issues may be cited as ``<Project> issue N``."""
MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?"
    r"|Nov(?:ember)?|Dec(?:ember)?)"
)

RULES: dict[str, list[re.Pattern[str]]] = {
    "stage or session": [re.compile(r"(?i)\b(?:stages?|sessions?)[ \t-]+#?\d+")],
    "issue": [
        re.compile(r"(?<![\w/&#])#\d+\b"),
        re.compile(r"(?i)\b(?:issues?|pull requests?)[ \t]+#?\d+"),
        re.compile(r"\bPRs?[ \t]*#?\d+"),
        re.compile(r"(?i)\bissue's\b"),
    ],
    "machine path": [re.compile(r"(?<![\w.~$-])/(?:work|tmp|home|root|scratch|mnt|Users)(?:/|\b)")],
    "machine narrative": [
        re.compile(r"(?i)\bbus(?:y|ier|iest)\b(?![ -](?:wait|loop|poll))"),
        re.compile(r"(?i)\bwip(?:ed|ing)\b"),
        re.compile(r"(?i)\b(?:re)?niced\b|\b(?:re)?nice[ \t]+(?:-n[ \t]*)?-?\d+\b"),
        re.compile(rf"(?i)\bshar(?:ed|ing)\b[^.;:]{{0,30}}?\b{MACHINE}\b"),
        re.compile(rf"(?i)\b{MACHINE}\b[^.;:]{{0,15}}?\bshared\b"),
        re.compile(r"(?i)\bother (?:jobs|users|engineers|workloads)\b"),
        re.compile(rf"(?i)\b(?:quiet(?:er)?|idle)[ \t]+(?:\d+-core[ \t]+|\d+[ \t]+|two[ \t]+)?(?:{MACHINE}|day)\b"),
        re.compile(rf"(?i)\b{MACHINE}[ \t]+(?:was|were|is|are|stayed|stood)[ \t]+(?:quiet|idle)\b"),
        re.compile(r"(?i)\b(?:slower|faster|busier|quieter|later|earlier|other|another)[ \t]+day\b"),
        re.compile(r"(?i)\bload(?:[ \t]+average)?[ \t]+\d+(?:\.\d+)?[ \t]*[-–][ \t]*\d+\b|\bload average\b"),
    ],
    "date": [
        re.compile(r"\b(?:19|20)\d\d-[01]\d-[0-3]\d\b"),
        re.compile(rf"\b[0-3]?\d(?:st|nd|rd|th)?[ \t]+{MONTH}\b"),
        re.compile(rf"\b(?!May\b){MONTH}\.?[ \t]+[0-3]?\d(?:st|nd|rd|th)?\b|\b{MONTH}\.?[ \t]+(?:19|20)\d\d\b"),
        re.compile(r"(?i)\b(?:yesterday|last night|this morning|this afternoon|tonight)\b"),
    ],
    "to-do": [
        re.compile(r"\b(?:TODO|FIXME|XXX|TBD)\b"),
        re.compile(r"(?i)\bstill to (?:come|do|be|measure|try|run)\b"),
        re.compile(r"(?i)\bto (?:be )?re-?measured?\b"),
        re.compile(r"(?i)\bnot yet (?:measured|run|tried|done|known|scored|trained|tested|checked)\b"),
        re.compile(r"(?i)\byet to be\b|\bcoming soon\b|\bleft to (?:try|do|measure)\b"),
        re.compile(r"(?i)\btried (?:so far|yet)\b"),
    ],
}
"""The rules and the patterns of each; a match inside an ``ALLOWED`` span does not count."""

ALLOWED = [
    re.compile(r"\bhttps?://[^\s)>\]\"'`]+"),  # a URL: upstream issues, other projects' pages
    re.compile(r"\b[\w.-]+/[\w.-]+#\d+\b"),  # owner/repo#N
    re.compile(r"\[#\d+\]\(https?://[^)\s]+\)"),  # [#N](https://...)
    re.compile(rf"\b{UPSTREAM}(?:'s)?(?:\s+open)?\s+issues?\s+#?\d+"),  # PyTorch issue N, wrapped or not
]
"""Spans where a match is an upstream reference, not the project's."""

CLIMBING = re.compile(r"(?<![\w.])((?:\.\./)+[\w.-]+(?:/[\w.-]+)*)")
"""A relative path that starts by climbing (``../x``); it must stay inside the repository."""

BAD = [
    ("stage or session", "session 36 measured 0.641"),
    ("stage or session", "by the session-36 classifier"),
    ("stage or session", "Sessions 36-39 each retrained it"),
    ("stage or session", "done in stage 3"),
    ("issue", "fixes #22"),
    ("issue", "issue 20's bar: discriminative 0.2"),
    ("issue", "see issues 12 and 13"),
    ("issue", "reaches the issue's bar for coverage"),
    ("issue", "collapsed at 340 ppm; issue's bar: 0.2"),
    ("issue", "merged in PR 7"),
    ("machine path", "--root /work/runs/bench_text --json x.json"),
    ("machine path", "OUT=/tmp/gco bash scripts/gpu_check.sh"),
    ("machine path", "data in /home/me/data"),
    ("machine narrative", "on the shared 2-core machine"),
    ("machine narrative", "28 minutes while four other jobs shared the 2-core CPU"),
    ("machine narrative", "a 2-core CPU shared with other jobs"),
    ("machine narrative", "36 minutes on shared\n# 2-core machines"),
    ("machine narrative", "10 min with a training sharing the cores"),
    ("machine narrative", "48 images on the (busy) 2-core CPU"),
    ("machine narrative", "4 min 54 s on a busier day"),
    ("machine narrative", "the machine wiped again"),
    ("machine narrative", "(niced, on the CPU)"),
    ("machine narrative", "a test run at `nice 19`"),
    ("machine narrative", "1 min 45 s on an idle 2-core VM"),
    ("machine narrative", "22 minutes on quiet cores"),
    ("machine narrative", "on a slower day of the same VM type"),
    ("machine narrative", "(load 3-5, one thread)"),
    ("machine narrative", "measured while the machine was quiet"),
    ("date", "trained on 2026-11-30"),
    ("date", "measured on 27 November"),
    ("date", "measured on November 27"),
    ("date", "runs of December 2026"),
    ("date", "the checkpoint trained yesterday"),
    ("to-do", "# TODO: clean up"),
    ("to-do", "The GPU runs are still to come."),
    ("to-do", "since removed (to re-measure)"),
    ("to-do", "whether Inception rewards it is not yet measured"),
    ("to-do", "No recipe tried so far makes it learn"),
    ("to-do", "What is left to try on a CPU: a smaller R1"),
]
"""Lines each rule must flag."""

GOOD = [
    "wall seconds, summed over every session that resumed it",
    '@pytest.fixture(scope="session")',
    "def setup(self, stage: str | None = None) -> None:",
    "three 3x3 conv + max-pool stages (28 -> 14 -> 7 -> 3 px)",
    "PyTorch's open issue [#171622](https://github.com/pytorch/pytorch/issues/171622)",
    "a stride assertion, PyTorch issue 171622",
    "a stride assertion, PyTorch\n    issue 171622",
    '"Double backwards is not supported for CuDNN RNNs", pytorch/pytorch#5261',
    "metrics.names=[fid, kid, pr]",
    "data.data_dir=/usr/share/datasets/fashion-mnist data.download=false",
    '"${env}": [shutil.which("env") or "/usr/bin/env"]',
    "run = fit(config, tmp_path / 'runs')",
    "/runs/",
    "the module's shared noise RNG, one per sample",
    "one linear layer shared across time",
    "many cores split the sums",
    "two at once (`--jobs 2`), 15 min a run",
    "beside another run of the benchmark",
    "measured alone on the 2-core VM",
    "a decibel image's input gradient is huge in quiet bins",
    "sha256sum -c --quiet SHA256SUMS",
    "the GPU then idled while Python prepared the next step",
    "interleaved, so load from other processes hits every variant alike",
    "Lucic et al. 2018; Caccia et al. 2020",
    "in today's form",
    "checkpoints/last.ckpt  gen_step=0000500.ckpt ... best.ckpt: best FID so far",
    "May 2 ranks train exactly like one",
    "at commit 73c3d87, `rnn_sines.yaml`",
]
"""Lines no rule may flag."""

CLIMBING_SAMPLES = [
    ("gan_lightning/benchmarks/quality.py", "(Lucic et al. 2018; ../../../shared/REFERENCES.md)", True),
    ("gan_lightning/benchmarks/quality.py", "(../shared/REFERENCES.md)", True),  # inside, but names nothing there
    ("docs/CONFIG.md", "[README](../README.md#configuration)", False),
    ("docs/AUDIO.md", "--ckpt runs/.../checkpoints/last.ckpt", False),
]
"""``(file, line, flagged)``: climbing paths resolve from the file's folder."""
# hygiene: patterns end

REGION = re.compile(r"^# hygiene: patterns begin$.*?^# hygiene: patterns end$", re.MULTILINE | re.DOTALL)


def repository_files() -> list[Path]:
    """Every file git tracks or would track, that exists in the work tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    return sorted({REPO / name for name in listed.split("\0") if name and (REPO / name).is_file()})


def matches(text: str) -> list[tuple[int, str, str]]:
    """``(offset, rule, matched text)`` of every match outside an allowed span."""
    allowed = [span.span() for pattern in ALLOWED for span in pattern.finditer(text)]
    found = []
    for rule, patterns in RULES.items():
        for pattern in patterns:
            for match in pattern.finditer(text):
                if not any(start <= match.start() and match.end() <= end for start, end in allowed):
                    found.append((match.start(), rule, match.group()))
    return found


def climbs_out(path: Path, text: str) -> list[tuple[int, str, str]]:
    """``../`` paths of ``text`` that, from ``path``'s folder, name nothing in the repository."""
    found = []
    for match in CLIMBING.finditer(text):
        target = (path.parent / match.group(1)).resolve()
        if not target.is_relative_to(REPO) or not target.exists():
            found.append((match.start(), "machine path", match.group(1)))
    return found


def file_violations(path: Path) -> list[str]:
    """``path:line: rule: text`` of every violation in one text file."""
    text = path.read_text(encoding="utf-8")
    if path == THIS:  # this file's own patterns and samples: blanked, line numbers kept
        text = REGION.sub(lambda region: "\n" * region.group().count("\n"), text)
    lines = text.splitlines()
    report = []
    for offset, rule, matched in sorted(matches(text) + climbs_out(path, text)):
        number = text.count("\n", 0, offset) + 1
        report.append(f"{path.relative_to(REPO)}:{number}: {rule}: {matched!r} in {lines[number - 1].strip()[:160]!r}")
    return report


def test_every_file_is_text_or_a_named_binary() -> None:
    files = repository_files()
    assert THIS in files and REPO / "README.md" in files
    unreadable = []
    for path in files:
        if path.suffix.lower() in BINARY_SUFFIXES:
            continue
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            unreadable.append(path.relative_to(REPO).as_posix())
    assert not unreadable, f"neither UTF-8 text nor a suffix of BINARY_SUFFIXES: {unreadable}"


def test_the_repository_speaks_of_the_project_only() -> None:
    report = []
    for path in repository_files():
        if path.suffix.lower() not in BINARY_SUFFIXES:
            report += file_violations(path)
    assert not report, f"{len(report)} lines about the project's making (rules: this file's docstring):\n" + "\n".join(
        report
    )


def test_this_file_hides_only_its_patterns() -> None:
    text = THIS.read_text(encoding="utf-8")
    docstring, patterns = REGION.findall(text)  # the rules' description and the patterns with their samples
    outside = REGION.sub("", text)
    assert docstring.count("\n") < 40 and "BAD = [" in patterns and "GOOD = [" in patterns and "RULES:" in patterns
    assert "def file_violations" in outside and not matches(outside)


@pytest.mark.parametrize(("rule", "line"), BAD, ids=[line for _, line in BAD])
def test_each_rule_flags_its_bad_lines(rule: str, line: str) -> None:
    assert rule in {found for _, found, _ in matches(line)}, f"{rule} misses {line!r}"


@pytest.mark.parametrize(
    ("rule", "index"), [(rule, index) for rule, patterns in RULES.items() for index in range(len(patterns))]
)
def test_every_pattern_flags_a_bad_line(rule: str, index: int) -> None:
    pattern = RULES[rule][index]
    assert any(pattern.search(line) for found, line in BAD if found == rule), f"no bad line of {rule} shows {pattern}"


@pytest.mark.parametrize("line", GOOD)
def test_no_rule_flags_legitimate_lines(line: str) -> None:
    assert not matches(line), matches(line)


@pytest.mark.parametrize(("name", "line", "flagged"), CLIMBING_SAMPLES, ids=[line for _, line, _ in CLIMBING_SAMPLES])
def test_a_path_climbing_out_of_the_repository_is_flagged(name: str, line: str, flagged: bool) -> None:
    assert bool(climbs_out(REPO / name, line)) == flagged
