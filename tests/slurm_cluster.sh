#!/bin/sh
# slurm_cluster.sh - a private one-node Slurm cluster under a temporary
# directory, for the tests: its own munged (own key and socket), slurmctld
# and slurmd in the foreground (-D), its own ports, no accounting.
# Source it, then:
#   cluster_start DIR   starts the daemons under DIR (which must exist) and
#                       waits until the node takes jobs; exports SLURM_CONF
#   cluster_stop        stops exactly the daemons cluster_start started,
#                       waits for them and fails if one is left
# cluster_pids holds their PIDs.  Daemons run as the current user (root in CI).
cluster_pids=""

# cluster_free_port N: a TCP port nobody listens on, from this shell's PID.
cluster_free_port() {
    p=$(( 20000 + ($$ * 7 + $1) % 20000 ))
    while ss -Htln "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
    echo "$p"
}

cluster_start() {
    cd_=$1
    node=$(hostname -s)
    # munged checks every directory above its socket: none may be writable
    # by others or closed to them.
    chmod 0755 "$cd_" || return 1
    mkdir -p "$cd_/munge" "$cd_/state" "$cd_/spool" && chmod 0755 "$cd_/munge" || return 1
    dd if=/dev/urandom of="$cd_/munge/munge.key" bs=1024 count=1 2>/dev/null &&
        chmod 0400 "$cd_/munge/munge.key" || return 1
    ctld_port=$(cluster_free_port 1)
    slurmd_port=$(cluster_free_port 2)
    [ "$slurmd_port" = "$ctld_port" ] && slurmd_port=$((slurmd_port + 1))
    cat >"$cd_/slurm.conf" <<CONF
ClusterName=convctest
SlurmctldHost=$node
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$(id -un)
AuthType=auth/munge
AuthInfo=socket=$cd_/munge/munge.socket,cred_expire=10
CredType=cred/munge
StateSaveLocation=$cd_/state
SlurmdSpoolDir=$cd_/spool
SlurmctldPidFile=$cd_/slurmctld.pid
SlurmdPidFile=$cd_/slurmd.pid
SlurmctldLogFile=$cd_/slurmctld.log
SlurmdLogFile=$cd_/slurmd.log
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
    export SLURM_CONF="$cd_/slurm.conf"
    munged -F --socket="$cd_/munge/munge.socket" --key-file="$cd_/munge/munge.key" \
        --pid-file="$cd_/munge/munged.pid" --log-file="$cd_/munge/munged.log" \
        --seed-file="$cd_/munge/munged.seed" >"$cd_/munged.out" 2>&1 &
    cluster_pids="$!"
    i=0
    while [ ! -S "$cd_/munge/munge.socket" ]; do
        i=$((i + 1)); [ $i -gt 100 ] && { echo "munged did not start:"; cat "$cd_/munged.out" "$cd_/munge/munged.log" 2>/dev/null; return 1; }
        sleep 0.1
    done
    slurmctld -D -i -f "$SLURM_CONF" >"$cd_/slurmctld.out" 2>&1 &
    cluster_pids="$cluster_pids $!"
    slurmd -D -f "$SLURM_CONF" -N "$node" >"$cd_/slurmd.out" 2>&1 &
    cluster_pids="$cluster_pids $!"
    i=0
    until sinfo -h -o %t 2>/dev/null | grep -Eq '^idle'; do
        i=$((i + 1))
        if [ $i -gt 300 ]; then
            echo "the cluster did not come up:"; sinfo 2>&1; tail -5 "$cd_"/*.log
            return 1
        fi
        sleep 0.1
    done
}

cluster_stop() {
    [ -n "$cluster_pids" ] || return 0
    # shellcheck disable=SC2086 # a list of PIDs
    kill $cluster_pids 2>/dev/null
    for p in $cluster_pids; do wait "$p" 2>/dev/null; done
    left=""
    for p in $cluster_pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
    cluster_pids=""
    [ -z "$left" ] || { echo "FAIL: daemons still running:$left"; return 1; }
}
