# sources.sh - the front-end sources the fuzz harness links (sourced by
# run.sh and t_fuzz_replay.sh; build/gen comes from `make`).
FUZZ_SOURCES="compiler/ast.c compiler/diag.c compiler/sema.c compiler/ir.c compiler/frontend.c build/gen/lexer.c build/gen/parser.c"
