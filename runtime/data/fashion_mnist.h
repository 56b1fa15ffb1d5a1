/* fashion_mnist.h - the names of Fashion-MNIST's ten classes, the data set
 * convc trains on by default: the trainer prints them and `convc export`
 * embeds them in the standalone file. */
#ifndef CONVC_FASHION_MNIST_H
#define CONVC_FASHION_MNIST_H

#define FASHION_MNIST_CLASSES 10

extern const char *const fashion_mnist_class_names[FASHION_MNIST_CLASSES];

#endif
