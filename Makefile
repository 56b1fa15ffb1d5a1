# convc - one entry point for building, testing and running experiments.
# `make help` lists the targets.

# ---- settings ---------------------------------------------------------------
CC       ?= cc
BUILD    ?= build
BIN      ?= bin
SAN      ?=
CI       ?=
VERSION  := 0.2.0

PKGS      := yaml-0.1 zlib libpng cairo fontconfig libprotobuf-c jansson
WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wpointer-arith -Wformat=2
OPT       ?= -O2 -g
CFLAGS    ?= $(OPT)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -MMD -MP \
             -Icompiler -Iruntime -I$(BUILD)/gen -DCONVC_VERSION='"$(VERSION)"' \
             $(PKG_CFLAGS)
ifeq ($(CI),true)
ALL_CFLAGS += -Werror
endif
ifeq ($(SAN),1)
SANFLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_CFLAGS += $(SANFLAGS)
LDSAN      := -fsanitize=address,undefined
endif
# Generated models are compiled for this machine: they are built where they run.
# -ffp-contract=fast lets -std=c11 fuse multiply-adds (FMA); unlike -ffast-math
# it keeps NaN and infinity semantics.
MODEL_CFLAGS ?= -O3 -march=native -ffp-contract=fast -std=c11 -Wall -Wextra

# Debian packages that a fresh machine needs (see `make deps`).
DEB_PKGS := make gcc flex bison pkg-config libyaml-dev check zlib1g-dev libpng-dev \
            libcairo2-dev fonts-dejavu-core clang tcc dataset-fashion-mnist python3 \
            munge slurmctld slurmd slurm-client \
            gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm \
            libprotobuf-c-dev protobuf-c-compiler libonnx-dev libjansson-dev \
            python3-onnx python3-opencv openmpi-bin libopenmpi-dev
# PyTorch (Debian's, for /usr/bin/python3) for the cross-check tests/t_xcheck.sh.
DEB_PKGS += python3-torch python3-numpy

# ---- sources ----------------------------------------------------------------
# export_main.c is not part of convc: it is embedded as text in the files
# `convc export` writes (see the rule for export_main.inc).
COMPILER_SRC := $(filter-out compiler/cli/main.c compiler/output/export_main.c,\
                  $(wildcard compiler/*.c compiler/*/*.c compiler/*/*/*.c))
# exchange_mpi.c needs mpi.h: only the MPI trainer (MPI=1 below) compiles it.
RUNTIME_SRC  := $(filter-out %_main.c runtime/train/exchange_mpi.c,$(wildcard runtime/*/*.c))
FIXTURE_SRC  := $(wildcard tests/fixtures/*.c)
TEST_SRC     := $(wildcard tests/check_*.c)
TOOL_MAINS   := $(wildcard runtime/*/*_main.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
COMPILER_OBJ := $(call obj,$(COMPILER_SRC)) $(BUILD)/obj/gen/lexer.o $(BUILD)/obj/gen/parser.o \
                $(BUILD)/obj/gen/onnx.pb-c.o
RUNTIME_OBJ  := $(call obj,$(RUNTIME_SRC))
FIXTURE_OBJ  := $(call obj,$(FIXTURE_SRC))
TESTS        := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
# The trainer for the hand-written fixture models, used by tests/t_train*.sh.
TESTS        += $(BUILD)/tests/fixture_trainer
TOOLS        := $(foreach t,$(TOOL_MAINS),$(BIN)/convc-$(notdir $(t:_main.c=)))

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)
LIBS       = $(PKG_LIBS) -lpthread -lm

# `make MODEL=cnn_k7` builds specs/cnn_k7.spec; `make SPEC=dir/x.spec` any spec.
ifneq ($(SPEC),)
MODEL ?= $(basename $(notdir $(SPEC)))
else ifneq ($(MODEL),)
SPEC := specs/$(MODEL).spec
endif

.PHONY: all help deps build models model export test test-builds test-build-normal asan-libs print-libs \
        test-build-asan unit-tests regen check-generated experiment experiments bench \
        bench-deps fuzz clean
.DEFAULT_GOAL := all

ifneq ($(MODEL),)
all: build model
ifeq ($(MPI),1)
all: $(BUILD)/$(MODEL)/train_mpi
endif
else
all: build
endif

help:
	@echo "make                 build bin/convc and the runtime"
	@echo "make MODEL=cnn_k7    build the trainer build/cnn_k7/train for specs/cnn_k7.spec"
	@echo "make SPEC=x.spec     build the trainer for a spec outside specs/"
	@echo "make MODEL=x MPI=1   also build build/x/train_mpi, the data-parallel trainer"
	@echo "                     (mpicc, Open MPI; see docs/trainer.md)"
	@echo "make deps            install missing Debian packages (as root)"
	@echo "make test            deps, build (also with ASan+UBSan), then the whole test suite,"
	@echo "                     two tests at a time (TEST_JOBS=2)"
	@echo "make experiment      deps, build, run specs/kernel_size.yaml"
	@echo "make experiments     run every experiment in specs/, then results/index.md"
	@echo "make regen           regenerate generated/ from specs/"
	@echo "make export MODEL=x  standalone inference file build/x/x.c from x.ckpt (WEIGHTS=;"
	@echo "                     EXPORT_FLAGS='--target cortex-m4 --int8' for a microcontroller)"
	@echo "make bench           benchmark the seed models (see bench/)"
	@echo "make fuzz            run every fuzz harness tests/fuzz/fuzz_*.c for FUZZ_SECONDS (60) each"

# ---- dependencies -----------------------------------------------------------
deps:
	@sh .ci/deps.sh $(DEB_PKGS)

# ---- compiler ---------------------------------------------------------------
build: $(BIN)/convc $(BUILD)/libconvc.a $(TOOLS)

$(BUILD)/gen/lexer.c $(BUILD)/gen/lexer.h: compiler/front/lexer.l
	@mkdir -p $(BUILD)/gen
	flex --header-file=$(BUILD)/gen/lexer.h -o $(BUILD)/gen/lexer.c $<

$(BUILD)/gen/parser.c $(BUILD)/gen/parser.h: compiler/front/parser.y
	@mkdir -p $(BUILD)/gen
	bison -Wall -Werror --defines=$(BUILD)/gen/parser.h -o $(BUILD)/gen/parser.c $<

# Objects that print the version are rebuilt when it changes.
$(BUILD)/version.txt: FORCE
	@mkdir -p $(BUILD)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
FORCE:
$(call obj,$(shell grep -l CONVC_VERSION $(COMPILER_SRC) compiler/cli/main.c)): $(BUILD)/version.txt

# The ONNX message types, from the schema Debian's libonnx-dev installs.
ONNX_PROTO ?= /usr/include/onnx/onnx.proto
$(BUILD)/gen/onnx.pb-c.c $(BUILD)/gen/onnx.pb-c.h: $(ONNX_PROTO)
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen -I$(dir $(ONNX_PROTO)) $(ONNX_PROTO)

# Text that exports embed, as the lines of a C string literal: the example
# main, and the int8 kernels (also compiled into convc, which runs them).
EMBED_TEXT = sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@
$(BUILD)/gen/export_main.inc: compiler/output/export_main.c
	@mkdir -p $(BUILD)/gen
	$(EMBED_TEXT)
$(BUILD)/gen/q8_kernels.inc: compiler/output/q8_kernels.c
	@mkdir -p $(BUILD)/gen
	$(EMBED_TEXT)
$(BUILD)/gen/q8_types.inc: compiler/output/q8_types.h
	@mkdir -p $(BUILD)/gen
	$(EMBED_TEXT)
$(call obj,compiler/output/gen_export.c): $(BUILD)/gen/export_main.inc
$(call obj,compiler/output/gen_export_q8.c): $(BUILD)/gen/q8_kernels.inc $(BUILD)/gen/q8_types.inc
# convc runs the float reference and the int8 kernels over the test set.
$(call obj,compiler/output/q8_kernels.c compiler/output/q8_layers.c compiler/output/quantize.c): \
    ALL_CFLAGS += -O3 -fno-math-errno

# Every compiler object may include the generated headers.
$(call obj,$(COMPILER_SRC) compiler/cli/main.c): | $(BUILD)/gen/parser.h $(BUILD)/gen/lexer.h \
                                                  $(BUILD)/gen/onnx.pb-c.h

# flex, bison and protoc-c output is not ours to lint.
$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(BUILD)/gen/parser.h $(BUILD)/gen/lexer.h \
                      $(BUILD)/gen/onnx.pb-c.h
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Wmissing-prototypes -Wshadow -Werror,$(ALL_CFLAGS)) -Wno-unused-function -Wno-sign-compare -c -o $@ $<

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The trainer's per-batch loops (gradient sums, optimizer, pixel scaling) run
# once per mini-batch over every parameter: let them vectorize (sqrt needs
# no errno).  Neither flag reorders a floating-point sum.
$(call obj,runtime/train/optim.c runtime/train/train.c runtime/train/grad_tree.c runtime/train/slices.c \
           runtime/data/dataset.c): ALL_CFLAGS += -O3 -fno-math-errno

$(BUILD)/libconvcc.a: $(COMPILER_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libconvc.a: $(RUNTIME_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libfixtures.a: $(FIXTURE_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The compiler shares the runtime's file and JSON helpers (runtime/base/files.h,
# runtime/base/json.h); the archive adds only the objects it uses.
$(BIN)/convc: $(BUILD)/obj/compiler/cli/main.o $(BUILD)/libconvcc.a $(BUILD)/libconvc.a
	@mkdir -p $(BIN)
	$(CC) $(LDSAN) -o $@ $^ $(LIBS)

# Tool programs: runtime/<part>/<tool>_main.c -> bin/convc-<tool>.
define tool_rule
$(BIN)/convc-$(notdir $(1:_main.c=)): $(call obj,$(1)) $(BUILD)/libconvc.a
	@mkdir -p $(BIN)
	$$(CC) $$(LDSAN) -o $$@ $$^ $$(LIBS)
endef
$(foreach t,$(TOOL_MAINS),$(eval $(call tool_rule,$(t))))

# ---- one model's trainer ----------------------------------------------------
model: $(BUILD)/$(MODEL)/train

$(BUILD)/$(MODEL)/model.c: $(SPEC) $(BIN)/convc
	@mkdir -p $(BUILD)/$(MODEL)
	$(BIN)/convc gen --trainer-main $(SPEC) -o $(BUILD)/$(MODEL)

$(BUILD)/$(MODEL)/train: $(BUILD)/$(MODEL)/model.c $(BUILD)/libconvc.a
	$(CC) $(MODEL_CFLAGS) $(SANFLAGS) -Iruntime -I$(BUILD)/$(MODEL) \
	  -o $@ $(BUILD)/$(MODEL)/model.c $(BUILD)/$(MODEL)/main.c $(BUILD)/libconvc.a $(LIBS)

# The data-parallel trainer: the same model and runtime, with exchange_mpi.o
# ahead of the archive so that its exchange_open/exchange_close are the ones
# linked (runtime/train/exchange.h).  Only these two commands need MPI.
MPICC ?= mpicc
$(BUILD)/obj/mpi/exchange_mpi.o: runtime/train/exchange_mpi.c runtime/train/exchange.h
	@mkdir -p $(dir $@)
	$(MPICC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) -c -o $@ $<

$(BUILD)/$(MODEL)/train_mpi: $(BUILD)/$(MODEL)/model.c $(BUILD)/obj/mpi/exchange_mpi.o \
                             $(BUILD)/libconvc.a
	$(MPICC) $(MODEL_CFLAGS) $(SANFLAGS) -Iruntime -I$(BUILD)/$(MODEL) \
	  -o $@ $(BUILD)/$(MODEL)/model.c $(BUILD)/$(MODEL)/main.c \
	  $(BUILD)/obj/mpi/exchange_mpi.o $(BUILD)/libconvc.a $(LIBS)

# ---- standalone inference file: make export MODEL=cnn_k3 [WEIGHTS=x.ckpt] ---
WEIGHTS ?= $(MODEL).ckpt

export: $(BIN)/convc
	@mkdir -p $(BUILD)/$(MODEL)
	$(BIN)/convc export $(SPEC) --weights $(WEIGHTS) -o $(BUILD)/$(MODEL)/$(MODEL).c $(EXPORT_FLAGS)
	@echo "build: cc -O2 -D$$(echo $(MODEL) | tr a-z A-Z)_MAIN -o classify $(BUILD)/$(MODEL)/$(MODEL).c -lm"

# ---- generated code ---------------------------------------------------------
SPECS := $(wildcard specs/*.spec)

regen: $(BIN)/convc
	@for s in $(SPECS); do \
	  m=$$(basename $$s .spec); \
	  $(BIN)/convc gen $$s -o generated/$$m || exit 1; \
	done

# ---- tests ------------------------------------------------------------------
$(BUILD)/tests/%: tests/%.c $(BUILD)/libconvcc.a $(BUILD)/libconvc.a $(BUILD)/libfixtures.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libfixtures.a $(BUILD)/libconvcc.a \
	  $(BUILD)/libconvc.a $(CHECK_LIBS) $(LIBS) $(LDSAN)

unit-tests: build $(TESTS)

# The whole suite: unit tests, golden and error tests, sanitizer pass,
# fuzz-corpus replay, end-to-end training.  The normal and the sanitizer
# builds share two jobs (neither waits for the other's last link), then
# tests/run.sh runs the tests two at a time and prints the tally.
ASAN_BUILD := BUILD=build/asan BIN=build/asan/bin SAN=1 OPT='-O1 -g'
test: deps
	$(MAKE) -j2 test-builds
	sh tests/run.sh

test-builds: test-build-normal test-build-asan
test-build-normal:
	$(MAKE) build unit-tests
test-build-asan:
	$(MAKE) $(ASAN_BUILD) unit-tests
# The runtime's link line, for scripts that link a trainer or a test of their own.
print-libs:
	@echo $(LIBS)

# The sanitizer build's libraries alone (tests/t_fuzz_replay.sh links them).
asan-libs:
	$(MAKE) $(ASAN_BUILD) build/asan/libconvcc.a build/asan/libconvc.a build/asan/libfixtures.a

# Every harness tests/fuzz/fuzz_NAME.c (convention: tests/fuzz/harnesses.sh).
FUZZ_SECONDS ?= 60
fuzz: build
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

# ---- experiments ------------------------------------------------------------
# A study's runs are independent: one run per core, each on one thread, keeps
# every core busy without the per-batch synchronization of threads (on 2
# cores, about 10% more images per second; the results are the same bits).
# RUN_OPTS replaces them: `make experiment RUN_OPTS='--jobs 2 --threads 1 --seeds 1'`.
RUN_OPTS ?= --jobs $(shell nproc 2>/dev/null || echo 1) --threads 1

experiment: deps
	$(MAKE) build
	$(BIN)/convc run specs/kernel_size.yaml $(RUN_OPTS)
	$(BIN)/convc-report --index results specs/*.yaml

# Every study, then results/index.md over all of them; a study that fails
# does not stop the others, and the index says which did not finish.
experiments: deps
	$(MAKE) build
	@status=0; for y in specs/*.yaml; do $(BIN)/convc run $$y $(RUN_OPTS) || status=1; done; \
	  $(BIN)/convc-report --index results specs/*.yaml || status=1; exit $$status

# PyTorch for the comparison; OpenBLAS because with Debian's default reference
# BLAS PyTorch's dense layers run several times slower than they can.
bench-deps:
	@sh .ci/deps.sh python3-torch python3-numpy libopenblas0-pthread

bench: deps
	$(MAKE) build
	CC='$(CC)' MODEL_CFLAGS='$(MODEL_CFLAGS)' LIBS='$(LIBS)' BUILD='$(BUILD)' BIN='$(BIN)' \
	  sh bench/run.sh

clean:
	rm -rf build bin

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
