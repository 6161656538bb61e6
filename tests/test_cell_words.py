"""Issue 32 on Activation patterns and Compare, without the app: which NB201 cells ignore their input or are one
network in two forms, the words said of them, layer names a reader can place, and the neighbours' sentence at a
small batch (the app's side is in test_app_editor.py and test_app_traps.py)."""
import pandas as pd

from swap_engine import spaces
from swap_engine.spaces import nb201
from ui import cell_notes, neighbours
from ui.charts.layers import readable

SPACE = spaces.get("nb201")
FORM_A = SPACE.parse("|skip_connect~0|+|skip_connect~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_1x1~1|skip_connect~2|")
FORM_B = SPACE.parse("|skip_connect~0|+|skip_connect~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_3x3~1|skip_connect~2|")


def test_a_cell_ignores_its_input_when_every_path_to_the_output_passes_a_none_edge():
    assert nb201.ignores_input(("none",) * 6)
    dead_end = ("nor_conv_3x3", "none", "none", "none", "none", "none")  # 0->1 leads nowhere
    assert nb201.ignores_input(dead_end) and not nb201.ignores_input(FORM_A)
    said = cell_notes.ignores_input("nb201", ("none",) * 6, 1.0)
    assert said.startswith("**This cell's output ignores its input.**") and "a score of 1" in said
    assert "lead nowhere" in cell_notes.ignores_input("nb201", dead_end, 57.0)
    assert cell_notes.ignores_input("nb201", FORM_A) is None and cell_notes.ignores_input("zoo", "resnet18") is None


def test_two_forms_of_one_cell_are_one_network_and_the_words_say_why_accuracies_differ():
    assert nb201.same_network(FORM_A, FORM_B) and cell_notes.same_network("nb201", FORM_A, FORM_B)
    assert not cell_notes.same_network("nb201", FORM_A, FORM_A)  # a cell and itself: nothing to say
    assert not nb201.same_network(FORM_A, ("nor_conv_3x3",) * 6)
    text = cell_notes.same_network_words("The left and right cells", (92.16, 92.35), (41051.0, 41051.0))
    assert "(92.16 % and 92.35 %) differ by 0.19 points of training noise" in text
    assert "SWAP's counts differ" not in text
    assert "SWAP's counts differ" in cell_notes.same_network_words("X", (None, 92.0), (1.0, 2.0))


def test_layers_are_named_by_cell_and_edge_as_the_editor_names_them():
    nb201_names = ["cells.0.edges.0.0", "cells.2.conv_a.0", "cells.3.edges.2.0", "cells.5.conv_b.0", "lastact.1"]
    assert readable(nb201_names, "nb201") == ["cell 1, edge 0→1", "reduction 1, first conv", "cell 3, edge 1→2",
                                              "reduction 2, second conv", "last ReLU, before pooling"]
    assert readable(["cell.preprocess1.0", "cell.ops.2.4"], "darts") == ["input c(k-1)", "node 3, op 1, 2nd ReLU"]
    full = readable(["cells.6.ops.3.0", "cells.7.ops.0.0", "cells.19.preprocess0.0"], "darts")  # 20 cells
    assert full == ["cell 7 (reduce), node 3, op 2", "cell 8, node 2, op 1", "cell 20, input c(k-2)"]
    assert readable(["features.0.2", "features.1.ops.2.2", "features.3.projections.5.2"], "nb101", nodes=6) == [
        "stem", "cell 1, node 2", "cell 2, input to the output"]
    assert readable(["layer1.0.relu"], "zoo", [1]) == ["layer1 0 / relu (call 2)"]  # other spaces: as before


def test_the_neighbours_sentence_names_both_changes_and_the_bound():
    table = pd.DataFrame({"edit": list("abc"), "proxy": [256.0] * 3, "proxy change": [0.0] * 3,
                          "accuracy change": [0.5, -1.0, 0.2]})
    text = neighbours.sentence(table, "SWAP (B = 8)", "CIFAR-10 test accuracy",
                               bound=neighbours.Bound(8, 256, "the atlas also holds SWAP at B = 16"))
    assert text.startswith("None of the 3 neighbours changes both SWAP (B = 8) and CIFAR-10 test accuracy.")
    assert "This cell and all 3 neighbours score 256 = 2^8, the most distinct patterns 8 samples can make" in text
    assert "A larger batch size separates them (the atlas also holds SWAP at B = 16)" in text
    assert "score the same as this cell" not in text  # the bound says why they tie
