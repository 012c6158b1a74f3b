#ifndef LABELMILL_CSHIMS_H
#define LABELMILL_CSHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/xattr.h>  /* fgetxattr/fsetxattr for POSIX ACLs (PosixACL.swift) */
#include <sys/stat.h>   /* lm_lstat_beneath */
#include <sys/vfs.h>    /* statfs, for the kind of file system a root is on (MountKind.swift) */

/* Result codes of the image checks. libpng and libjpeg report errors with
   longjmp; every call that may longjmp stays in cshims.c, so no jump ever
   crosses a Swift frame. */
enum {
    LM_IMAGE_OK = 0,
    LM_IMAGE_TRUNCATED = 1,   /* structure ends early (no IEND / EOI) */
    LM_IMAGE_CORRUPT = 2,     /* bad CRC, bad chunk, decoder error */
    LM_IMAGE_TOO_LARGE = 3,   /* header claims more than max_pixels, or a side over LM_MAX_SIDE */
    LM_IMAGE_UNSUPPORTED = 4  /* a variant we cannot decode */
};

/* Longest side taken: keeps the one row buffer of a PNG decode under 8 MB. */
#define LM_MAX_SIDE 1000000u

typedef struct {
    uint32_t width;           /* set whenever the header was read, also on refusal */
    uint32_t height;
    char message[256];        /* plain-words detail when the code is not OK */
} lm_image_info;

/* Checks a whole PNG held in memory: every chunk and CRC through IEND, the
   zlib stream of the IDAT chunks (Adler-32, length), then a full decode row by
   row (bounded memory). Refuses before decoding when width * height >
   max_pixels or a side is over LM_MAX_SIDE. */
int lm_check_png(const unsigned char *data, size_t size, uint64_t max_pixels, lm_image_info *out);

/* Checks a whole JPEG held in memory: markers through EOI, then a decode of
   every scan at 1/8 scale (bounded memory). Any decoder warning is refused as
   corrupt, except extraneous bytes between header segments, which the marker
   walk removes before decoding. */
int lm_check_jpeg(const unsigned char *data, size_t size, uint64_t max_pixels, lm_image_info *out);

/* For tests and sample images: a width x height JPEG of a colour gradient,
   made with libturbojpeg. gray != 0 makes a one-component JPEG. Returns 0 and
   a buffer to release with lm_free_jpeg, or -1. */
int lm_make_test_jpeg(int width, int height, int gray, int progressive,
                      unsigned char **out, size_t *out_size);
void lm_free_jpeg(unsigned char *buffer);

/* A side x side RGB thumbnail of a whole PNG or JPEG held in memory (the
   image squeezed to a square, each thumbnail pixel the mean of the pixels it
   covers; an image smaller than the thumbnail is repeated). `rgb` holds
   side * side * 3 bytes. PNG rows are streamed (an interlaced PNG is decoded
   whole, up to 16 M pixels); a JPEG is decoded at the smallest scale that
   still covers the thumbnail. Alpha is dropped, grey and palettes become RGB.
   LM_IMAGE_OK, or a refusal code with the reason in out->message. */
/* Sets the calling thread's nice value (Linux: per thread). 0 or -1 with errno. */
int lm_lower_thread_priority(int nice_value);

/* Starts argv[0] (found on PATH) with arguments argv (NULL-terminated) in
   folder cwd (NULL: this one), in its own process group, its stdin and
   stdout pipes to this process (*to_child is non-blocking; both close on
   exec), stderr shared, SIGPIPE at its default. 0, or an errno value. */
int lm_spawn_piped(char *const argv[], const char *cwd, int *pid_out, int *to_child, int *from_child);

/* Writing to a predictor that has exited gives EPIPE instead of killing the daemon. */
void lm_ignore_sigpipe(void);

int lm_thumbnail(const unsigned char *data, size_t size, int side, unsigned char *rgb, lm_image_info *out);

/* renameat2(RENAME_NOREPLACE): fails with EEXIST instead of overwriting. */
int lm_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);

/* syncfs(2): flush the whole file system holding fd. */
int lm_syncfs(int fd);

/* lstat of a path below dirfd in one resolution (openat2 with O_PATH |
   O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): a link on the way is
   ELOOP, a link at the end is described itself. 0, or -errno (-ENOSYS
   where the kernel has no openat2). */
int lm_lstat_beneath(int dirfd, const char *path, struct stat *out);

#endif
