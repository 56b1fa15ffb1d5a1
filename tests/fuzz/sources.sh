# sources.sh - the front-end and code-generator sources the fuzz harness
# links (sourced by run.sh and t_fuzz_replay.sh; build/gen comes from `make`).
FUZZ_SOURCES="compiler/ir.c $(echo compiler/front/*.c compiler/codegen/*.c compiler/codegen/layers/*.c) compiler/output/gen_model.c
 build/gen/lexer.c build/gen/parser.c"
