/* deflate.h - what compressed input can honestly promise. */
#ifndef CONVC_DEFLATE_H
#define CONVC_DEFLATE_H

/* Deflate (RFC 1951) expands a byte to at most 1032 (blocks of 258-byte
 * matches): a header (IDX in gzip, PNG) promising more data than its
 * compressed bytes can hold cannot be honest, and is refused before the
 * promised size is allocated. */
#define DEFLATE_MAX_RATIO 1032

#endif
