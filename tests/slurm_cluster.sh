#!/bin/sh
# slurm_cluster.sh - a private one-node Slurm cluster under a temporary
# directory, for the tests: its own munged (own key and socket), slurmctld
# and slurmd in the foreground (-D), its own ports, no accounting.
# Source it, then:
#   cluster_start DIR   starts the daemons under DIR (which must exist, with
#                       every directory above it 0755, as munged demands) and
#                       waits until the node takes jobs; exports SLURM_CONF
#   cluster_stop        cancels the jobs left, stops exactly the daemons
#                       cluster_start started, waits for them and fails if
#                       one is left
# cluster_pids holds their PIDs.  The daemons run as the current user (root
# in CI).  Settings that keep it fast: cred_expire=10 and sched_interval=2
# (else a requeued job waits two minutes), MailProg=/bin/true.
cluster_pids=""

# cluster_free_port N: a TCP port nobody listens on, from this shell's PID.
cluster_free_port() {
    p=$(( 20000 + ($$ * 7 + $1) % 20000 ))
    while ss -Htln "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
    echo "$p"
}

cluster_start() {
    cluster_dir=$1
    node=$(hostname -s)
    # munged checks every directory above its socket: none may be writable
    # by others or closed to them.
    chmod 0755 "$cluster_dir" || return 1
    mkdir -p "$cluster_dir/munge" "$cluster_dir/state" "$cluster_dir/spool" && chmod 0755 "$cluster_dir/munge" || return 1
    dd if=/dev/urandom of="$cluster_dir/munge/munge.key" bs=1024 count=1 2>/dev/null &&
        chmod 0400 "$cluster_dir/munge/munge.key" || return 1
    ctld_port=$(cluster_free_port 1)
    slurmd_port=$(cluster_free_port 2)
    [ "$slurmd_port" = "$ctld_port" ] && slurmd_port=$((slurmd_port + 1))
    cat >"$cluster_dir/slurm.conf" <<CONF
ClusterName=convctest
SlurmctldHost=$node
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$(id -un)
AuthType=auth/munge
AuthInfo=socket=$cluster_dir/munge/munge.socket,cred_expire=10
CredType=cred/munge
StateSaveLocation=$cluster_dir/state
SlurmdSpoolDir=$cluster_dir/spool
SlurmctldPidFile=$cluster_dir/slurmctld.pid
SlurmdPidFile=$cluster_dir/slurmd.pid
SlurmctldLogFile=$cluster_dir/slurmctld.log
SlurmdLogFile=$cluster_dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
SchedulerParameters=sched_interval=2
ReturnToService=2
NodeName=$node CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$cluster_dir/slurm.conf"
    munged -F --socket="$cluster_dir/munge/munge.socket" --key-file="$cluster_dir/munge/munge.key" \
        --pid-file="$cluster_dir/munge/munged.pid" --log-file="$cluster_dir/munge/munged.log" \
        --seed-file="$cluster_dir/munge/munged.seed" >"$cluster_dir/munged.out" 2>&1 &
    cluster_pids="$!"
    i=0
    while [ ! -S "$cluster_dir/munge/munge.socket" ]; do
        i=$((i + 1)); [ $i -gt 100 ] && { echo "munged did not start:"; cat "$cluster_dir/munged.out" "$cluster_dir/munge/munged.log" 2>/dev/null; return 1; }
        sleep 0.1
    done
    slurmctld -D -i -f "$SLURM_CONF" >"$cluster_dir/slurmctld.out" 2>&1 &
    cluster_pids="$cluster_pids $!"
    slurmd -D -f "$SLURM_CONF" -N "$node" >"$cluster_dir/slurmd.out" 2>&1 &
    cluster_pids="$cluster_pids $!"
    i=0
    until sinfo -h -o %t 2>/dev/null | grep -Eq '^idle'; do
        i=$((i + 1))
        if [ $i -gt 300 ]; then
            echo "the cluster did not come up:"; sinfo 2>&1; tail -5 "$cluster_dir"/*.log
            return 1
        fi
        sleep 0.1
    done
}

cluster_stop() {
    [ -n "$cluster_pids" ] || return 0
    # Jobs first (a test that failed may leave some): their processes are
    # slurmd's, not ours to signal; they end with the jobs.
    scancel --user="$(id -un)" 2>/dev/null
    i=0
    while [ -n "$(squeue --noheader 2>/dev/null)" ] && [ $i -lt 100 ]; do
        i=$((i + 1)); sleep 0.1
    done
    # shellcheck disable=SC2086 # a list of PIDs
    kill $cluster_pids 2>/dev/null
    for p in $cluster_pids; do wait "$p" 2>/dev/null; done
    left=""
    for p in $cluster_pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
    cluster_pids=""
    [ -z "$left" ] || { echo "FAIL: daemons still running:$left"; return 1; }
}
