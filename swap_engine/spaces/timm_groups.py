"""timm's architectures in four kinds, by the module that defines them: the paper's claim that SWAP works across
architecture families, CNNs and transformers alike, is read per kind (`studies.groups`).

- CNN: convolutions (and pooling) mix space; no attention. MambaOut's gated convolutions and ConvMixer count here.
- vision transformer: self-attention mixes the tokens (patch embedding and position terms aside).
- MLP: neither convolution nor attention mixes the tokens: MLP-Mixer, ResMLP, gMLP (`mlp_mixer`), Sequencer's
  recurrent layers.
- hybrid: convolution and attention (or a convolutional token mixer inside a transformer's blocks) by design:
  CoAtNet, MaxViT, MobileViT, EfficientViT, FastViT, PoolFormer and CAFormer (`metaformer`), FocalNet, ...
"""
from __future__ import annotations

KINDS = ("CNN", "vision transformer", "MLP", "hybrid")

_BY_KIND: dict[str, tuple[str, ...]] = {
    "CNN": ("byobnet", "convmixer", "convnext", "cspnet", "densenet", "dla", "dpn", "efficientnet", "fasternet",
            "ghostnet", "hardcorenas", "hgnet", "hrnet", "inception_next", "inception_resnet_v2", "inception_v3",
            "inception_v4", "mambaout", "mobilenetv3", "nasnet", "nfnet", "pnasnet", "rdnet", "regnet", "repghost",
            "res2net", "resnest", "resnet", "resnetv2", "rexnet", "selecsls", "senet", "sknet", "starnet",
            "tresnet", "vgg", "vovnet", "xception", "xception_aligned"),
    "vision transformer": ("convit", "crossvit", "davit", "deit", "eva", "mvitv2", "naflexvit", "nest", "pit",
                           "pvt_v2", "swin_transformer", "swin_transformer_v2", "swin_transformer_v2_cr", "tnt",
                           "twins", "vision_transformer", "vision_transformer_relpos", "xcit"),
    "MLP": ("mlp_mixer", "sequencer"),
    "hybrid": ("byoanet", "coat", "edgenext", "efficientvit_mit", "efficientvit_msra", "fastvit", "focalnet",
               "gcvit", "levit", "maxxvit", "metaformer", "mobilevit", "nextvit", "shvit", "tiny_vit", "visformer"),
}
MODULE_KIND: dict[str, str] = {module: kind for kind, modules in _BY_KIND.items() for module in modules}


def kind(module: str) -> str:
    """The kind of a timm module's architectures ("resnet" -> "CNN"); "" for a module not sorted yet."""
    return MODULE_KIND.get(module, "")


__all__ = ["KINDS", "MODULE_KIND", "kind"]
