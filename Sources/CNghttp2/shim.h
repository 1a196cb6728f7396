// The system libnghttp2 (Debian's libnghttp2-dev, 1.52: the ssize_t API) for the HTTPServer target.
#include <nghttp2/nghttp2.h>
