# sources.sh - the front-end and code-generator sources the fuzz harness
# links (sourced by run.sh and t_fuzz_replay.sh; build/gen comes from `make`).
FUZZ_SOURCES="compiler/ir.c runtime/base/buf.c runtime/base/hash.c
 runtime/base/files.c runtime/base/error.c $(echo compiler/front/*.c compiler/codegen/*.c) compiler/output/gen_model.c
 build/gen/lexer.c build/gen/parser.c"
