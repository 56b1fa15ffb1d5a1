/* gradcheck_main.c - gradient check of one generated model, linked with its
 * model.c: cc -DMODEL=cnn_k3_model gradcheck_main.c model.c -lm.
 * Usage: gradcheck [SAMPLES [PARAMS_PER_TENSOR [TOLERANCE]]]
 * Exit status 0 when the largest error is within the tolerance. */
#include <stdlib.h>

#include "gradcheck_impl.h"

#ifndef MODEL
#error "compile with -DMODEL=<name>_model"
#endif

extern const convc_model MODEL;

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 5;
    int per = argc > 2 ? atoi(argv[2]) : 1000000;
    double tol = argc > 3 ? atof(argv[3]) : 2e-2;
    double worst;
    int used = 0;
    if (n < 1 || per < 1) {
        fprintf(stderr, "gradcheck: bad arguments\n");
        return 2;
    }
    printf("%s: %zu parameters, %d samples\n", MODEL.name, MODEL.n_params, n);
    worst = gc_check_points(&MODEL, n, per, tol, 3, 1, 12345, &used);
    printf("%s: max gradient error %.2e (tolerance %.0e, %d random point%s): %s\n",
           MODEL.name, worst, tol, used, used > 1 ? "s" : "", worst <= tol ? "ok" : "FAIL");
    return worst <= tol ? 0 : 1;
}
