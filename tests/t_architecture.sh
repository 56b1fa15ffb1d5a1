#!/bin/sh
# t_architecture.sh - includes follow the phases one way (docs/architecture.md):
# a folder may include only the folders listed for it, so that the front end
# never sees code generation and the runtime never sees the compiler.
cd "$(dirname "$0")/.." || exit 2
allowed() {
    case $1 in
    compiler/front)      echo "front base" ;;
    compiler/codegen)    echo "codegen base" ;;
    compiler/output)     echo "output codegen base data train" ;;
    compiler/experiment) echo "experiment front base" ;;
    compiler/cli)        echo "cli front codegen output experiment base" ;;
    runtime/base)        echo "base" ;;
    runtime/data)        echo "base data" ;;
    runtime/pictures)    echo "base data pictures" ;;
    runtime/train)       echo "base data pictures train" ;;
    runtime/report)      echo "base pictures train report" ;;
    esac
}
bad=0
for dir in compiler/front compiler/codegen compiler/output compiler/experiment compiler/cli \
           runtime/base runtime/data runtime/pictures runtime/train runtime/report; do
    ok=$(allowed $dir)
    for f in $(find "$dir" -type f -name '*.[chly]'); do
        # "folder/file.h" includes; top-level hinges (ir.h, convc_model.h) are open to all
        # of their own side, and ir.h never to the runtime.
        for inc in $(sed -n 's/^#include "\([a-z_]*\)\/[a-z_]*\.h".*/\1/p' "$f" | sort -u); do
            case " $ok " in *" $inc "*) ;; *)
                echo "$f: includes $inc/, which $dir must not use"; bad=1 ;;
            esac
        done
        case $dir in runtime/*)
            if grep -q '^#include "ir.h"' "$f"; then
                echo "$f: the runtime includes the compiler's ir.h"; bad=1
            fi ;;
        esac
    done
done
# Every source file sits in a phase folder.
for f in compiler/*.[ch] runtime/*.[ch]; do
    case $f in compiler/ir.[ch]|runtime/convc_model.h) ;; *)
        echo "$f: outside the phase folders"; bad=1 ;;
    esac
done
[ $bad -eq 0 ] && echo "architecture: includes follow the phases"
exit $bad
