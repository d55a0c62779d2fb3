/*
 * Force-included (-include) into every C++ file of Parley's source builds of llama.cpp.
 *
 * GCC 12's _tile_loadconfig (amxtileintrin.h) is an asm statement whose memory operand is
 * *(const void **)config: it tells the compiler that ldtilecfg reads 8 bytes, while it reads all 64 of
 * the tile configuration. Dead-store elimination then drops the stores of the rows and column widths
 * (bytes 16..63) that ggml's AMX kernel writes into its stack copy of the configuration just before
 * ldtilecfg, so the tiles are configured with zero rows, and the first tilezero raises #UD: SIGILL in
 * ggml_backend_amx_mul_mat on any AMX machine (seen on Sapphire Rapids VMs). See docs/benchmarks.md.
 *
 * This replaces the intrinsic, for files compiled with AMX enabled only, by the same instruction with
 * a 64-byte memory operand, so the stores are kept. Harmless where the compiler's own header is right.
 */
#if defined(__cplusplus) && defined(__AMX_TILE__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
static inline __attribute__((__always_inline__)) void parley_tile_loadconfig(const void *config) {
    __asm__ volatile("ldtilecfg\t%X0" : : "m"(*(const unsigned char (*)[64]) config));
}
#undef _tile_loadconfig
#define _tile_loadconfig(config) parley_tile_loadconfig(config)
#endif
