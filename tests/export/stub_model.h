/* stub_model.h - a two-class model of 2x3 gray images for compiling
 * compiler/output/export_main.c on its own (tests/t_export.sh): class 0
 * ("bright") when the first pixel is above one half. */
#define CLASSIFY_MODEL "stub"
#define CLASSIFY_IN_H 2
#define CLASSIFY_IN_W 3
#define CLASSIFY_IN_C 1
#define CLASSIFY_N_CLASSES 2
#define CLASSIFY_PREDICT stub_predict
#define CLASSIFY_CLASS_NAME stub_class_name
static int stub_predict(const float *image, float *probs)
{
    probs[0] = image[0];
    probs[1] = 1.0f - image[0];
    return image[0] > 0.5f ? 0 : 1;
}
static const char *stub_class_name(int k)
{
    return k == 0 ? "bright" : "dark";
}
