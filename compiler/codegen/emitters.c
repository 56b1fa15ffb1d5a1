/* emitters.c - the layer kinds' emitters, by kind: one entry per
 * IR_LAYER_KINDS word, gen_<word>_emitter of codegen/layers/<word>.c. */
#include "codegen/layer_emitter.h"

const gen_layer_emitter *gen_emitter_of(ir_kind k)
{
#define GEN_EMITTER_ENTRY(id, word) [id] = &gen_##word##_emitter,
    static const gen_layer_emitter *const table[IR_N_KINDS] = {
        IR_LAYER_KINDS(GEN_EMITTER_ENTRY)
    };
#undef GEN_EMITTER_ENTRY
    return table[k];
}
