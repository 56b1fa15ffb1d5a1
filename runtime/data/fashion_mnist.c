/* fashion_mnist.c - the class-name table, in label order. */
#include "data/fashion_mnist.h"

const char *const fashion_mnist_class_names[FASHION_MNIST_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};
