// Special tokens and constants of the MolmoPoint grounding-token format (allenai/molmo2,
// olmo/tokenizer.py and olmo/models/molmo_point/*).

/** `<PATCH>`: selects one indexable image/video token. */
export const PATCH_TOKEN = "<|token_index|>";
/** `<SUBPATCH>`: selects one ViT patch inside the selected token's pooling window. */
export const SUBPATCH_TOKEN = "<|vit_index|>";
/** `<LOCATION>`: selects one cell of the 3×3 grid inside the selected ViT patch. */
export const LOCATION_TOKEN = "<|vit_loc|>";

/** Qwen3 token ids of the three pointing tokens (extra tokens appended from 151936). */
export const QWEN3_PATCH_TOKEN_ID = 151947;
export const QWEN3_SUBPATCH_TOKEN_ID = 151948;
export const QWEN3_LOCATION_TOKEN_ID = 151949;

/** Target label of the "no more points" class (`NO_POINTS_LABEL` in the reference). */
export const NO_POINTS_LABEL = 1000000;

/** Number of LOCATION classes (3×3 grid). */
export const N_LOCATIONS = 9;

/** Theta of the 1-D rotary embedding applied to patch queries/keys. */
export const PATCH_ROTARY_THETA = 50000;
