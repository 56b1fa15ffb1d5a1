# mpi_env.sh - sourced by the tests that run the MPI trainer (t_mpi.sh,
# t_random_specs.sh): how they run Open MPI on this machine, and how they
# compile its exchange.
# As root, over shared memory, and with more processes than cores: waiting
# processes yield their core instead of polling.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
export OMPI_MCA_mpi_yield_when_idle=1
MPIRUN="mpirun --oversubscribe"

# mpi_exchange_obj OUT: compiles runtime/train/exchange_mpi.c to OUT, to be
# linked ahead of libconvc.a (as the Makefile's train_mpi does).
mpi_exchange_obj() {
    mpicc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -Iruntime -c -o "$1" \
        runtime/train/exchange_mpi.c
}
