"""Describe a GPU the catalog does not list by its numbers; it is kept with the user's files
(``my_gpus.yaml`` in the cache folder) and offered on every page and by every command."""

from __future__ import annotations

import streamlit as st

from core.catalog import forget_my_gpu, gpu_entry, gpu_from_entry, load_my_gpus, save_my_gpu
from core.errors import NavigatorError
from core.settings import Settings

GENERATIONS = ["Other", "Ampere", "Ada", "Hopper", "Blackwell", "CDNA3", "CDNA4", "Gaudi3"]
"""A generation the catalog calibrates borrows its measured efficiencies; otherwise none apply."""


def pending_key(select_key: str) -> str:
    """Where the form leaves the GPU to select on the next run (a widget's own state cannot be
    set once it is drawn): :func:`take_pending` applies it before the select is drawn."""
    return f"{select_key}__pending"


def take_pending(select_key: str, default: str) -> None:
    """Apply a selection the form left for this run (``None``: back to ``default``)."""
    key = pending_key(select_key)
    if key in st.session_state:
        st.session_state[select_key] = st.session_state.pop(key) or default


def describe_gpu(settings: Settings, *, key: str, select_key: str) -> None:
    """The form; a saved GPU becomes the selection of ``select_key``."""
    mine = load_my_gpus(settings.cache_dir)
    with st.expander("Your GPU is not listed? Describe it by its numbers", expanded=False):
        with st.form(f"{key}_gpu_form"):
            c1, c2, c3 = st.columns(3)
            name = c1.text_input("Name", key=f"{key}_gpu_name", placeholder="Lab-L20")
            memory = c2.number_input(
                "Memory (GiB)", 1.0, 4096.0, 44.4, key=f"{key}_gpu_mem", help="As CUDA reports it (nvidia-smi total)."
            )
            bandwidth = c3.number_input("Bandwidth (GB/s)", 10.0, 50_000.0, 864.0, key=f"{key}_gpu_bw")
            bf16 = c1.number_input(
                "BF16 TFLOPS", 1.0, 100_000.0, 119.5, key=f"{key}_gpu_bf16", help="Dense (without sparsity)."
            )
            fp8 = c2.number_input(
                "FP8 TFLOPS", 0.0, 100_000.0, 0.0, key=f"{key}_gpu_fp8", help="Dense; 0 when the GPU has no FP8."
            )
            link = c3.number_input(
                "GPU-to-GPU GB/s",
                0.0,
                10_000.0,
                31.0,
                key=f"{key}_gpu_link",
                help="One direction, per GPU; 0 when unknown.",
            )
            generation = c1.selectbox(
                "Generation",
                GENERATIONS,
                key=f"{key}_gpu_generation",
                help="A generation Navigator has measured runs on lends its efficiencies; otherwise none apply.",
            )
            price = c2.number_input(
                "USD per GPU-hour", 0.0, 1_000.0, 0.0, key=f"{key}_gpu_price", help="0 when it has no price."
            )
            nvlink = c3.checkbox("NVLink or Infinity Fabric", key=f"{key}_gpu_nvlink")
            saved = st.form_submit_button("Save this GPU")
        if saved:
            values: dict[str, object] = {
                "name": name.strip(),
                "memory_gib": memory,
                "bandwidth_gbps": bandwidth,
                "bf16_tflops": bf16,
                "nvlink": nvlink,
            }
            if fp8:
                values["fp8_tflops"] = fp8
            if link:
                values["link_gbps"] = link
            if price:
                values["price"] = price
            if generation != GENERATIONS[0]:
                values["architecture"] = generation
                values["vendor"] = {"CDNA3": "AMD", "CDNA4": "AMD", "Gaudi3": "Intel"}.get(generation, "NVIDIA")
            if not values["name"]:
                st.error("Name: give the GPU a name to pick it by (for example Lab-L20).")
            else:
                try:
                    gpu = gpu_from_entry(gpu_entry(values), where="GPU form")
                    save_my_gpu(settings.cache_dir, gpu)
                except (NavigatorError, OSError) as exc:
                    st.error(f"The GPU was not saved: {exc}")
                else:
                    st.session_state[pending_key(select_key)] = gpu.name  # the select exists already
                    st.rerun()
        if mine:
            st.caption(
                "Your GPUs: " + ", ".join(g.name for g in mine) + ". Their figures are yours, not checked by "
                "Navigator; no measured run covers them, so their ranges are the widest."
            )
            gone = st.selectbox("Forget one", [g.name for g in mine], key=f"{key}_gpu_forget_pick")
            if st.button("Forget this GPU", key=f"{key}_gpu_forget"):
                forget_my_gpu(settings.cache_dir, gone)
                if st.session_state.get(select_key) == gone:
                    st.session_state[pending_key(select_key)] = None
                st.rerun()
