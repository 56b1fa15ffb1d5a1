/* fpmode.h - the floating-point mode of the trainer's threads.
 *
 * Real training produces subnormal floats (tiny gradients and Adam moments);
 * on Intel cores every operation on one costs about a hundred cycles.  Like
 * TensorFlow, Keras' backend, the trainer flushes them to zero: results
 * that would be subnormal become 0 (FTZ) and subnormal inputs read as 0
 * (DAZ).  The mode is deterministic, so the same seed still gives the same
 * bits.  Every thread that runs model code calls this once. */
#ifndef CONVC_FPMODE_H
#define CONVC_FPMODE_H

/* Sets flush-to-zero and denormals-are-zero for the calling thread, where
 * the processor has them (x86 SSE, AArch64); elsewhere does nothing. */
void cv_flush_denormals(void);

#endif
