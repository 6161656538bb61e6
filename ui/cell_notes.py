"""What a cell's numbers do not say by themselves, said in words: an NB201 cell whose output ignores its input
(a score of 1 and chance accuracy that would otherwise go unexplained), and two cells that are one network in
two forms, which the benchmark trained separately (so their "true" accuracies differ by training noise alone).

Activation patterns, its cell editor and neighbours, and Compare say these in the same words.
"""
from __future__ import annotations

from swap_engine.spaces import nb201


def ignores_input(space_name: str, arch, raw_score: float | None = None, whose: str = "This cell's") -> str | None:
    """The note for a cell whose output does not depend on its input, None for any other cell; `whose` names
    it ("The left cell's")."""
    if space_name != "nb201" or not nb201.ignores_input(arch):
        return None
    text = (f"**{whose} output ignores its input.** Every path from the cell's input to its output passes a "
            "`none` edge, so each cell outputs zeros and the network gives every image the same answer: trained, "
            "it stays at chance (10 % on CIFAR-10).")
    if raw_score is None:
        return text
    if raw_score <= 1:
        return text + " No neuron ever sees an image, so all are silent on every sample: one pattern, a score of 1."
    return text + (" Only the first cell's edges that read the input and lead nowhere see an image: their "
                   "patterns make the whole score.")


def same_network(space_name: str, a, b) -> bool:
    """Two different forms of one NB201 cell (never a cell and itself)."""
    return space_name == "nb201" and a != b and nb201.same_network(a, b)


def same_network_words(subject: str, accuracies: tuple[float | None, float | None],
                       scores: tuple[float, float] | None = None) -> str:
    """The note for two forms of one cell: `subject` names them ("The left and right cells"); their trained
    accuracies and SWAP-Scores where known."""
    text = (f"**{subject} are the same network** in two forms (parallel paths swapped, or an edge changed whose "
            "result never reaches the output): NB201's unique string, the benchmark's own test of this, is the same "
            "for both.")
    if None not in accuracies:
        a, b = accuracies
        text += (f" The benchmark trained each form separately, so their accuracies ({a:.2f} % and {b:.2f} %) "
                 f"differ by {abs(a - b):.2f} points of training noise, not by architecture.")
    else:
        text += " The benchmark trained each form separately: a difference in their accuracy is training noise."
    if scores is not None and scores[0] != scores[1]:
        text += " SWAP's counts differ a little: each form draws its own random weights."
    return text


__all__ = ["ignores_input", "same_network", "same_network_words"]
