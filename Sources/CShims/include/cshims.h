#ifndef LABELMILL_CSHIMS_H
#define LABELMILL_CSHIMS_H

#include <stddef.h>
#include <stdint.h>

/* Result codes of the image checks. libpng and libjpeg report errors with
   longjmp; every call that may longjmp stays in cshims.c, so no jump ever
   crosses a Swift frame. */
enum {
    LM_IMAGE_OK = 0,
    LM_IMAGE_TRUNCATED = 1,   /* structure ends early (no IEND / EOI) */
    LM_IMAGE_CORRUPT = 2,     /* bad CRC, bad chunk, decoder error */
    LM_IMAGE_TOO_LARGE = 3,   /* header claims more than max_pixels */
    LM_IMAGE_UNSUPPORTED = 4  /* a variant we cannot decode */
};

typedef struct {
    uint32_t width;
    uint32_t height;
    char message[256];        /* plain-words reason when the code is not OK */
} lm_image_info;

/* Checks a whole PNG held in memory: every chunk and CRC through IEND, then a
   full decode row by row (bounded memory). Refuses before decoding when
   width * height > max_pixels. */
int lm_check_png(const unsigned char *data, size_t size, uint64_t max_pixels, lm_image_info *out);

/* Checks a whole JPEG held in memory: markers through EOI, then a decode of
   every scan (at reduced scale, bounded memory). */
int lm_check_jpeg(const unsigned char *data, size_t size, uint64_t max_pixels, lm_image_info *out);

/* renameat2(RENAME_NOREPLACE): fails with EEXIST instead of overwriting. */
int lm_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);

/* syncfs(2): flush the whole file system holding fd. */
int lm_syncfs(int fd);

#endif
