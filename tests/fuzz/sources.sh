# sources.sh - the front-end and code-generator sources the fuzz harness
# links (sourced by run.sh and t_fuzz_replay.sh; build/gen comes from `make`).
FUZZ_SOURCES="compiler/ast.c compiler/diag.c compiler/sema.c compiler/ir.c compiler/frontend.c build/gen/lexer.c build/gen/parser.c
 compiler/emit.c compiler/gen_layout.c compiler/gen_common.c compiler/gen_conv.c compiler/gen_conv_vec.c
 compiler/gen_layers.c compiler/gen_drivers.c compiler/gen_winograd.c compiler/winograd.c compiler/gen_model.c"
