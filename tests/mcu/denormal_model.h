/* denormal_model.h - a model for compiling compiler/output/export_main.c
 * on its own (tests/t_mcu.sh) that tells whether the main flushes
 * denormals to zero: class "flushed" when a product in the denormal range
 * comes out as 0. */
#define CLASSIFY_MODEL "denormal"
#define CLASSIFY_IN_H 2
#define CLASSIFY_IN_W 3
#define CLASSIFY_IN_C 1
#define CLASSIFY_N_CLASSES 2
#define CLASSIFY_PREDICT denormal_predict
#define CLASSIFY_CLASS_NAME denormal_class_name
static int denormal_predict(const float *image, float *probs)
{
    volatile float tiny = 1e-30f, scale = 1e-10f;
    float v = tiny * scale * (image[0] + 1.0f);
    (void)image;
    probs[0] = 1.0f;
    probs[1] = 0.0f;
    return v == 0.0f ? 0 : 1;
}
static const char *denormal_class_name(int k)
{
    return k == 0 ? "flushed" : "kept";
}
