/* use_libnucseg.c — a program outside the tree that uses the installed library:
 * segment IMAGE with DIAMETER and print the nucleus count (test_install.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <nucseg/image.h>
#include <nucseg/segment.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s IMAGE DIAMETER\n", argv[0]);
        return 2;
    }
    ns_image img;
    ns_error err;
    if (ns_image_read(argv[1], 0, 0, &img, &err) != NS_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    ns_segment_params p;
    ns_segment_params_default(&p);
    p.diameter = atof(argv[2]);
    ns_segmentation seg;
    ns_status st = ns_segment(&img, &p, &seg, &err);
    ns_image_free(&img);
    if (st != NS_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    printf("%zu\n", seg.count);
    ns_segmentation_free(&seg);
    return 0;
}
