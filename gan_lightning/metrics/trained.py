"""Evaluators learnt from real data: where one comes from, and what it is.

Some metrics score generated samples with a network trained on the real data, because no published network fits
the data (Inception for 28-px digits, I3D for bouncing digits) or none is offline: the audio metrics' spoken-word
classifier (:mod:`gan_lightning.metrics.audio_classifier`), video's clip evaluator
(:mod:`gan_lightning.metrics.clip_evaluator`) and the MNIST / Fashion-MNIST classifiers
(:mod:`gan_lightning.metrics.classifier`). :func:`built_evaluator` finds such a network the same way for all:

1. shipped with the package as ``<key>.pt``: training is seeded and on one thread (:func:`one_thread`), yet CPUs
   with other vector units round differently and end at other networks, and the scores move with the network, so a
   fixed instrument has to ship where the data are fixed;
2. cached in ``<cache_dir>/<folder>/<key>.pt`` by an earlier run;
3. trained now, measured on held-out data and written to the cache atomically (weights and accuracies in the
   ``.pt``, what made it in a ``.json`` beside it).

``<key>`` is :func:`identity_key` of everything that makes the network what it is (the data's options, the
training recipe, the preprocessing and a version), so a change to any of them can never read a stale network. An
evaluator whose data are made on the machine (the spoken digits, rendered by the installed speech engines) also puts
a hash of the data's content in its identity, under a ``content_field``: the shipped network then serves wherever the
same data come out, and where other data come out of the same settings, a one-line warning names the shipped file and
both hashes instead of training a machine-dependent network without a word.
The shipped MNIST classifiers are trained on fixed data, so they have fixed names instead
(:data:`~gan_lightning.metrics.classifier.SHIPPED_WEIGHTS`) and are read and written by the same
:func:`read_weights` and :func:`write_weights`.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeVar

import torch
from torch import nn

from gan_lightning.files import atomic_path, write_text_atomically

M = TypeVar("M", bound=nn.Module)
Origin = Literal["shipped", "cache", "trained"]
"""Where a built evaluator came from: shipped with the package, an earlier run's cache, or trained now."""

UNREADABLE = (RuntimeError, pickle.UnpicklingError, zipfile.BadZipFile, EOFError, KeyError, TypeError, ValueError)
"""What reading a weights file raises when it is truncated, not a torch file or not the network's state."""


def identity_key(identity: Mapping[str, Any]) -> str:
    """The cache key of what made a network (or features): a hash of ``identity`` as canonical JSON, so equal
    identities give one key whatever their dicts' order, and any change gives another."""
    canonical = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


@contextmanager
def one_thread() -> Iterator[None]:
    """PyTorch on one intra-op thread for the block. The evaluators train so: their weights then do not depend on how
    many cores split the sums, and their small batches gain little from more (on a 2-core machine running other
    work, two threads waiting on each other trained the clip evaluator 8 times slower than one)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class UnreadableWeightsError(ValueError):
    """A weights file that is not a state of the network; ``str(error)`` is the problem in one line."""


def read_weights(path: Path, network: Callable[[Mapping[str, Any]], M]) -> tuple[M, dict[str, Any]]:
    """The network ``network(payload)`` builds, loaded with the state in ``path`` and frozen, and the payload (its
    metadata). ``torch.load(weights_only=True)``: reading a weights file never runs pickled code. Raises
    FileNotFoundError for a missing file and :class:`UnreadableWeightsError` for one that is not such a state."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        model = network(payload)
        model.load_state_dict(payload["state_dict"])
    except UNREADABLE as error:
        problem = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UnreadableWeightsError(problem) from error
    model.requires_grad_(False)
    return model, payload


def write_weights(path: Path, model: nn.Module, **metadata: object) -> None:
    """``model``'s state (on the CPU) and ``metadata`` written to ``path`` atomically: a temporary file beside it,
    then a rename, so an interrupted write never leaves a truncated file where a network was."""
    payload = {
        "state_dict": {name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items()},
        **metadata,
    }
    with atomic_path(path) as partial:
        torch.save(payload, partial)


@dataclass
class BuiltEvaluator(Generic[M]):
    """A network learnt from real data and what it is: its accuracies on held-out data, how long training took, its
    file and where it came from. A subclass per evaluator names its cache folder and accuracies."""

    folder: ClassVar[str]
    """Its cache folder under ``metrics.cache_dir`` and the prefix of :meth:`details`' keys (``audio_classifier``)."""
    accuracy_labels: ClassVar[dict[str, str]]
    """Its held-out accuracies, as its file stores them, and how :meth:`summary` names each."""

    model: M
    accuracies: dict[str, float]
    train_seconds: float
    path: Path
    origin: Origin

    @property
    def name(self) -> str:
        """How the run's log names it: its folder in words (``audio classifier``)."""
        return self.folder.replace("_", " ")

    @property
    def from_cache(self) -> bool:
        """Whether it was loaded (shipped or cached) rather than trained now."""
        return self.origin != "trained"

    def summary(self) -> str:
        """One line for the run's log and ``scripts/build_evaluator.py``."""
        how = {
            "shipped": "shipped in",
            "cache": "loaded from",
            "trained": f"trained in {self.train_seconds:.0f} s, written to",
        }[self.origin]
        measured = ", ".join(f"{label} {self.accuracies[key]:.3f}" for key, label in self.accuracy_labels.items())
        return f"{self.name} {how} {self.path}: {measured}"

    def details(self) -> dict[str, object]:
        """Its part of a metric report (``evaluate.py``'s JSON, the run log)."""
        return {
            self.folder: str(self.path),
            **{f"{self.folder}_{key}": value for key, value in self.accuracies.items()},
            f"{self.folder}_train_seconds": self.train_seconds,
            f"{self.folder}_from_cache": self.from_cache,
            f"{self.folder}_origin": self.origin,
        }


B = TypeVar("B", bound=BuiltEvaluator[Any])


def _load(built: type[B], path: Path, network: Callable[[], nn.Module], origin: Origin) -> B | None:
    """The evaluator stored at ``path``, or None when there is none or it cannot be read (then the next place is
    tried, and at last it is trained and written again)."""
    if not path.is_file():
        return None
    try:
        model, payload = read_weights(path, lambda _: network())
        accuracies = {key: float(payload[key]) for key in built.accuracy_labels}
        seconds = float(payload["train_seconds"])
    except (UnreadableWeightsError, KeyError, TypeError, ValueError):
        return None
    return built(model, accuracies, seconds, path, origin)


def shipped_for_other_content(
    built: type[BuiltEvaluator[Any]], shipped: Path, identity: Mapping[str, Any], content_field: str
) -> str | None:
    """Why no network in ``shipped`` serves ``identity`` although one was made for its settings: one line naming the
    shipped file and the two contents, when a shipped ``.json`` describes ``identity`` in every field but
    ``content_field`` (the hash of the data); None when none does (no network was shipped for these settings)."""
    ours = json.loads(json.dumps(identity, default=str))  # as a .json stores it: tuples as lists
    outcomes = {*built.accuracy_labels, "train_seconds"}
    for described in sorted(shipped.glob("*.json")):
        try:
            theirs = {name: value for name, value in json.loads(described.read_text()).items() if name not in outcomes}
        except (OSError, ValueError, AttributeError):
            continue
        if content_field not in theirs or theirs[content_field] == ours.get(content_field):
            continue
        if {**theirs, content_field: None} == {**ours, content_field: None}:
            return (
                f"{built.folder.replace('_', ' ')}: the shipped {described.with_suffix('.pt').name} is for these "
                f"settings but was trained on other data ({content_field} {str(theirs[content_field])[:12]}, here "
                f"{str(ours.get(content_field))[:12]}), so it is not used: one of these data is loaded or trained"
            )
    return None


def built_evaluator(
    built: type[B],
    identity: Mapping[str, Any],
    *,
    network: Callable[[], nn.Module],
    train: Callable[[], nn.Module],
    measure: Callable[[Any], dict[str, float]],
    cache_dir: str | Path,
    shipped: Path | None = None,
    rebuild: bool = False,
    content_field: str | None = None,
) -> B:
    """The evaluator ``identity`` describes: ``<shipped>/<key>.pt``, else ``<cache_dir>/<built.folder>/<key>.pt``
    (``<key>``: :func:`identity_key`), else (or with ``rebuild``) ``train()`` timed, ``measure(model)`` on held-out
    data, and both written to the cache atomically, the identity and accuracies in a ``.json`` beside the weights.

    ``network()`` is an untrained network of the shape to load a stored state into. A hit writes nothing; training
    happens only here, so its seeds and order of operations are the trainer's alone. ``content_field`` names the
    identity's hash of the data: when a network shipped for the same settings was trained on other data, a
    one-line warning says so (:func:`shipped_for_other_content`) before the cache or training serves.
    """
    key = identity_key(identity)
    path = Path(cache_dir).expanduser() / built.folder / f"{key}.pt"
    if not rebuild:
        places: list[tuple[Path, Origin]] = [(path, "cache")]
        if shipped is not None:
            places.insert(0, (shipped / f"{key}.pt", "shipped"))
        for place, origin in places:
            found = _load(built, place, network, origin)
            if found is not None:
                return found
            if origin == "shipped" and content_field is not None:
                reason = shipped_for_other_content(built, place.parent, identity, content_field)
                if reason is not None:
                    warnings.warn(reason, UserWarning, stacklevel=2)
    start = time.perf_counter()
    model = train()
    seconds = time.perf_counter() - start
    accuracies = measure(model)
    described = {**identity, **accuracies, "train_seconds": seconds}
    write_text_atomically(path.with_suffix(".json"), json.dumps(described, sort_keys=True, indent=1, default=str))
    write_weights(path, model, train_seconds=seconds, **accuracies)
    return built(model, accuracies, seconds, path, "trained")
