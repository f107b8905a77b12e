"""Tiny, randomly initialised LTX-2 pipeline used by the runner's test mode.

Every component of the real diffusers LTX-2 pipeline is built in-process from a
config with tiny sizes: transformer, video VAE, audio VAE, vocoder, text
connectors, flow-matching scheduler, a Gemma 3 text encoder and a tokenizer made
in memory with the ``tokenizers`` library.  Nothing is downloaded.  The
pipeline call that runs on top of these components is the real one, so shapes,
rounding, progress callbacks, cancellation and MP4 export are all exercised.

Sizes follow the dummy components of diffusers' own LTX-2 tests (see
shared/notes/local-runner-facts.md, "Tiny components for tests"), with two
deliberate changes so the tiny model behaves like the real one towards the
app: the video VAE compresses 32x spatially and 8x temporally (like LTX-2), and
the vocoder upsamples by the mel hop length (160) so the audio track lasts as
long as the video.
"""

from __future__ import annotations

import string
from typing import Any

TINY_MODEL_ID = "tiny-random"

# Text encoder sizes.
TEXT_HIDDEN = 32
TEXT_LAYERS = 2
MAX_SEQUENCE_LENGTH = 32  # tokens per prompt in tiny mode (the real default is 1024)

SPECIAL_TOKENS = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_image>", "<end_of_image>", "<image_soft_token>"]


def _seed(seed: int) -> None:
    import torch

    torch.manual_seed(seed)


def build_tiny_tokenizer():
    """Build a character-level fast tokenizer in memory.

    Returns a ``transformers.PreTrainedTokenizerFast`` with left padding and a
    BOS token prepended to every sequence (so an empty negative prompt is not
    all padding).  Lower-cased letters, digits, punctuation and space each get
    one id; anything else maps to ``<unk>``.
    """
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    chars = list(string.ascii_lowercase + string.digits + string.punctuation + " ")
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    for ch in chars:
        vocab.setdefault(ch, len(vocab))

    tok = Tokenizer(WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tok.post_processor = processors.TemplateProcessing(
        single="<bos> $A",
        pair="<bos> $A $B",
        special_tokens=[("<bos>", vocab["<bos>"])],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<bos>",
        eos_token="<eos>",
        pad_token="<pad>",
        unk_token="<unk>",
        padding_side="left",
        model_max_length=MAX_SEQUENCE_LENGTH,
    )
    return fast


def build_tiny_text_encoder(vocab_size: int):
    """Build a tiny ``Gemma3ForConditionalGeneration`` (text + vision tower) with random weights.

    ``vocab_size`` is the tokenizer's vocabulary size.  Head dimensions are set
    explicitly (Gemma's default head_dim of 256 would dominate the cost).
    """
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, Gemma3TextConfig, SiglipVisionConfig

    text_config = Gemma3TextConfig(
        vocab_size=vocab_size,
        hidden_size=TEXT_HIDDEN,
        intermediate_size=64,
        num_hidden_layers=TEXT_LAYERS,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        query_pre_attn_scalar=16,
        max_position_embeddings=512,
        sliding_window=64,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=2,
    )
    vision_config = SiglipVisionConfig(
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
    )
    config = Gemma3Config(
        text_config=text_config,
        vision_config=vision_config,
        mm_tokens_per_image=4,
        boi_token_index=SPECIAL_TOKENS.index("<start_of_image>"),
        eoi_token_index=SPECIAL_TOKENS.index("<end_of_image>"),
        image_token_index=SPECIAL_TOKENS.index("<image_soft_token>"),
    )
    model = Gemma3ForConditionalGeneration(config)
    model.eval()
    return model


def build_tiny_components(seed: int = 0) -> dict[str, Any]:
    """Build every LTX-2 pipeline component with tiny random weights.

    Construction is deterministic for a given ``seed`` (the torch RNG is
    re-seeded before each component).  Returns a dict that can be passed as
    keyword arguments to ``LTX2Pipeline`` or ``LTX2ImageToVideoPipeline``.
    Raises ImportError when diffusers/transformers/tokenizers are missing.
    """
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder

    _seed(seed)
    tokenizer = build_tiny_tokenizer()

    _seed(seed + 1)
    text_encoder = build_tiny_text_encoder(len(tokenizer))

    _seed(seed + 2)
    connectors = LTX2TextConnectors(
        caption_channels=TEXT_HIDDEN,
        text_proj_in_factor=TEXT_LAYERS + 1,  # one entry per hidden layer plus the embeddings
        video_connector_num_attention_heads=4,
        video_connector_attention_head_dim=8,
        video_connector_num_layers=1,
        video_connector_num_learnable_registers=None,
        audio_connector_num_attention_heads=4,
        audio_connector_attention_head_dim=8,
        audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32,
        rope_theta=10000.0,
        rope_double_precision=False,
        causal_temporal_positioning=False,
    )

    _seed(seed + 3)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4,
        out_channels=4,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        audio_in_channels=4,  # audio latent channels (2) x latent mel bins (8 / 4)
        audio_out_channels=4,
        audio_num_attention_heads=2,
        audio_attention_head_dim=4,
        audio_cross_attention_dim=8,
        num_layers=2,
        caption_channels=TEXT_HIDDEN,
        rope_double_precision=False,
    )

    _seed(seed + 4)
    # 32x spatial (patch 4 x 2^3) and 8x temporal (2^3) compression, like LTX-2.
    vae = AutoencoderKLLTX2Video(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(8, 16, 32),
        down_block_types=("LTX2VideoDownBlock3D",) * 3,
        decoder_block_out_channels=(8, 16, 32),
        layers_per_block=(1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, True),
        decoder_spatio_temporal_scaling=(True, True, True),
        decoder_inject_noise=(False, False, False, False),
        downsample_type=("spatiotemporal",) * 3,
        upsample_type=("spatiotemporal",) * 3,
        upsample_residual=(True, True, True),
        upsample_factor=(2, 2, 2),
        timestep_conditioning=False,
        patch_size=4,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False

    _seed(seed + 5)
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4,
        output_channels=2,
        ch_mult=(1,),
        num_res_blocks=1,
        attn_resolutions=None,
        in_channels=2,
        resolution=32,
        latent_channels=2,
        norm_type="pixel",
        causality_axis="height",
        dropout=0.0,
        mid_block_add_attention=False,
        sample_rate=16000,
        mel_hop_length=160,
        is_causal=True,
        mel_bins=8,
    )

    _seed(seed + 6)
    # Upsampling by 4*5*8 = 160 = the mel hop length, so one mel frame -> 160 samples at 16 kHz.
    vocoder = LTX2Vocoder(
        in_channels=16,  # audio channels (2) x mel bins (8)
        hidden_channels=32,
        out_channels=2,
        upsample_kernel_sizes=[8, 10, 16],
        upsample_factors=[4, 5, 8],
        resnet_kernel_sizes=[3],
        resnet_dilations=[[1, 3]],
        output_sampling_rate=16000,
    )

    scheduler = FlowMatchEulerDiscreteScheduler(
        num_train_timesteps=1000,
        shift=1.0,
        use_dynamic_shifting=True,
        base_shift=0.95,
        max_shift=2.05,
        base_image_seq_len=1024,
        max_image_seq_len=4096,
        shift_terminal=0.1,
    )

    for module in (text_encoder, connectors, transformer, vae, audio_vae, vocoder):
        module.eval()
        module.requires_grad_(False)

    return {
        "scheduler": scheduler,
        "vae": vae,
        "audio_vae": audio_vae,
        "text_encoder": text_encoder,
        "tokenizer": tokenizer,
        "connectors": connectors,
        "transformer": transformer,
        "vocoder": vocoder,
    }


# Call arguments that keep the tiny model cheap: no STG / modality guidance passes
# (the tiny transformer has 2 blocks, the default STG block index is 28).
TINY_CALL_DEFAULTS: dict[str, Any] = {
    "stg_scale": 0.0,
    "audio_stg_scale": 0.0,
    "spatio_temporal_guidance_blocks": None,
    "modality_scale": 1.0,
    "audio_modality_scale": 1.0,
    "guidance_rescale": 0.0,
    "audio_guidance_rescale": 0.0,
    "max_sequence_length": MAX_SEQUENCE_LENGTH,
}
TINY_DEFAULT_STEPS = 4
TINY_DEFAULT_GUIDANCE = 1.0
