/* web_assets.h - files of web/ compiled into the binary (web/embed.sh makes
 * their C sources at build time): the dashboard page. */
#ifndef ACE_WEB_ASSETS_H
#define ACE_WEB_ASSETS_H

#include <stddef.h>

extern const unsigned char web_dashboard_html[]; /* NUL-terminated */
extern const size_t web_dashboard_html_len;      /* without the NUL */

#endif
