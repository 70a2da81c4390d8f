#ifndef ZTP_CMICROHTTPD_SHIM_H
#define ZTP_CMICROHTTPD_SHIM_H
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>

/* Swift cannot call C variadic functions, so the few variadic libmicrohttpd calls the
   management API needs are wrapped here with fixed arguments. */

/* The port the daemon is bound to (useful after binding port 0). */
static inline uint16_t ztp_mhd_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

/* The peer address of a connection, or NULL. */
static inline const struct sockaddr *ztp_mhd_client_address(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info ? info->client_addr : NULL;
}
/* An unescape callback that leaves "%HH" sequences alone, so the URL path and query arguments
   reach Swift undecoded: the default decoder writes a decoded NUL into the C string (silently
   cutting the path short) and decodes "%2F" before the path is split into segments. */
static inline size_t ztp_mhd_keep_escaped(void *cls, struct MHD_Connection *connection, char *s) {
    (void)cls;
    (void)connection;
    size_t length = 0;
    while (s[length] != 0) { length++; }
    return length;
}

/* ztp_mhd_start, with the path and query left percent-encoded (see ztp_mhd_keep_escaped). */
static inline struct MHD_Daemon *ztp_mhd_start_undecoded(unsigned int flags,
                                                         const struct sockaddr *addr,
                                                         MHD_AccessHandlerCallback handler,
                                                         void *handler_cls,
                                                         MHD_RequestCompletedCallback completed,
                                                         void *completed_cls,
                                                         unsigned int connection_limit,
                                                         unsigned int connection_timeout_seconds,
                                                         unsigned int thread_pool_size) {
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_SOCK_ADDR, addr,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                            MHD_OPTION_THREAD_POOL_SIZE, thread_pool_size,
                            MHD_OPTION_UNESCAPE_CALLBACK, ztp_mhd_keep_escaped, NULL,
                            MHD_OPTION_END);
}

#endif
