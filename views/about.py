"""About / data: what SWAP is, what each ground truth means and where it came from, and what is on disk."""
import platform

import pandas as pd
import streamlit as st

import swap_engine
from swap_engine import data
from swap_engine.data import sources
from ui import messages, state
from ui.fetch import fetch_groups

GROUND_TRUTHS = pd.DataFrame(sources.GROUND_TRUTHS, columns=list(sources.COLUMNS))


def build_info() -> dict[str, str]:
    """What this app runs on: our version, torch's, and the device the sidebar has chosen (with its name)."""
    import torch

    from swap_engine import device as devices

    device = st.session_state.get("device") or devices.available_devices()[0]
    shown = device
    if device.startswith("cuda") and torch.cuda.is_available():
        shown = f"{device} ({torch.cuda.get_device_name(torch.device(device))})"
    return {"SWAP Explorer": swap_engine.__version__, "PyTorch": torch.__version__, "Device in use": shown,
            "Python": platform.python_version()}


def main() -> None:
    st.title("About SWAP Explorer")
    st.caption(" · ".join(f"{name} **{value}**" for name, value in build_info().items()))
    st.markdown(
        "The **SWAP-Score** (Peng et al., ICLR 2024) rates an untrained network by one forward pass over a "
        "mini-batch of B samples: every post-activation neuron's signs over the batch form its *sample-wise "
        "activation pattern*, and the score is the number of distinct patterns over all layers, bounded by "
        "min(N, 2^B) for N neurons (3^B for GELU/SiLU). Optionally it is multiplied by "
        "exp(-(params/1000 - mu)^2 / sigma) to favour a model size.")
    st.subheader("Ground truth")
    st.table(GROUND_TRUTHS.set_index("benchmark"))
    st.download_button("Download CSV", GROUND_TRUTHS.to_csv(index=False), file_name="swap_ground_truths.csv",
                       mime="text/csv", key="gt_csv")
    st.subheader("Inputs")
    inputs = pd.DataFrame(state.INPUT_LABELS.items(), columns=["input", "what"])
    st.table(inputs.set_index("input"))
    st.download_button("Download CSV", inputs.to_csv(index=False), file_name="swap_inputs.csv", mime="text/csv",
                       key="inputs_csv")

    st.subheader("Data files")
    st.caption(f"Data directory: `{data.data_dir()}` (set `SWAP_DATA` to use another).")
    status = pd.DataFrame(data.status())
    st.dataframe(status, hide_index=True)
    missing = sorted(set(status.loc[status["state"] != "present", "group"]))
    if not missing:
        st.success("Every data file is present and checked.")
        return
    st.warning(f"Missing or corrupt: {', '.join(missing)}. Fetch from the pinned upstreams (sha256 checked), "
               f"or run `python -m swap_engine data fetch {' '.join(missing)}`.")
    cols = st.columns(len(missing) + 1)
    for col, group in zip(cols, missing):
        if col.button(f"Fetch {group}", key=f"fetch_{group}"):
            fetch_groups([group])
    if cols[-1].button("Fetch all missing", type="primary", key="fetch_all"):
        fetch_groups(missing)


messages.guard(main)
