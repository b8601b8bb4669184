// Directives that nginx rejects with `"X" directive is duplicate` when they appear twice in the
// same block.
//
// How this was derived:
//  1. From nginx's source (1.26.3, plus 1.22.1 for `ssl`): every ngx_command_t entry whose handler
//     is one of the slot setters that refuse a second value (ngx_conf_set_flag/str/num/size/off/
//     msec/sec/bufs/enum/path/access_slot, ngx_http_set_complex_value[_zero|_size]_slot,
//     ngx_http_upstream_bind_set_slot, ...) or a hand-written handler that returns "is duplicate"
//     unconditionally (proxy_pass, root, try_files, keepalive_timeout, resolver, events, http, ...),
//     directly or through one of those slots. Array/list setters (str_array, keyval, bitmask,
//     *_param, add_header, ...) accept repeats and are not listed.
//  2. Checked against real nginx 1.22.1 (Debian's build with its dynamic modules) by
//     test/lab/directive-table.test.ts, which runs `nginx -t` on a config holding the directive
//     twice with valid arguments, for every definition it can give arguments to: 694 definitions
//     of the 595 names that build knows agree (bar the http2_push* version note below); only
//     geoip_city/geoip_org (need a city/org database) and stream/mail `server` stay unprobed.
//  3. Directives newer than 1.26.3 are listed only where their handler was read or is a plain slot
//     (tunnel_*, keepalive_min_timeout, ...). NGINX Plus, njs and other module directives whose
//     handlers are not public are left out: not flagging a repeat is the safe side.
// Version note: http2_push, http2_push_preload and http2_max_concurrent_pushes were duplicate-checked
// slots up to 1.25.0; since 1.25.1 they are obsolete no-ops that only warn, so they are not listed.
// Quirks: a few checks test the stored value, so some repeats slip through (`worker_priority 0;`
// twice passes, as 0 is the "unset" value). `alias` after `root` (or the reverse) fails with
// `"alias" directive is duplicate, "root" directive was specified earlier`. Repeats that nginx
// rejects with other words (duplicate location, upstream, log_format name, thread pool,
// charset_map, listen address, perl handler) are not about this set.

import type { Ctx } from './args';

export const REJECTS_DUPLICATE: ReadonlySet<string> = new Set([
  'absolute_redirect', 'accept_mutex', 'accept_mutex_delay', 'acceptex_read', 'add_after_body',
  'add_before_body', 'aio', 'aio_write', 'alias', 'auth_basic', 'auth_basic_user_file', 'auth_delay',
  'auth_http_pass_client_cert', 'auth_http_timeout', 'auth_request', 'autoindex', 'autoindex_exact_size',
  'autoindex_format', 'autoindex_localtime', 'charset', 'chunked_transfer_encoding', 'client_body_buffer_size',
  'client_body_in_file_only', 'client_body_in_single_buffer', 'client_body_temp_path', 'client_body_timeout',
  'client_header_buffer_size', 'client_header_timeout', 'client_max_body_size', 'connection_pool_size',
  'create_full_put_path', 'daemon', 'dav_access', 'debug_points', 'default_type', 'degrade', 'devpoll_changes',
  'devpoll_events', 'directio', 'directio_alignment', 'disable_symlinks', 'epoll_events', 'etag',
  'eventport_events', 'events', 'expires', 'fastcgi_bind', 'fastcgi_buffer_size', 'fastcgi_buffering',
  'fastcgi_buffers', 'fastcgi_busy_buffers_size', 'fastcgi_cache', 'fastcgi_cache_background_update',
  'fastcgi_cache_key', 'fastcgi_cache_lock', 'fastcgi_cache_lock_age', 'fastcgi_cache_lock_timeout',
  'fastcgi_cache_max_range_offset', 'fastcgi_cache_min_uses', 'fastcgi_cache_revalidate',
  'fastcgi_connect_timeout', 'fastcgi_force_ranges', 'fastcgi_ignore_client_abort', 'fastcgi_index',
  'fastcgi_intercept_errors', 'fastcgi_keep_conn', 'fastcgi_limit_rate', 'fastcgi_max_temp_file_size',
  'fastcgi_next_upstream_timeout', 'fastcgi_next_upstream_tries', 'fastcgi_pass', 'fastcgi_pass_request_body',
  'fastcgi_pass_request_headers', 'fastcgi_read_timeout', 'fastcgi_request_buffering', 'fastcgi_send_lowat',
  'fastcgi_send_timeout', 'fastcgi_socket_keepalive', 'fastcgi_store', 'fastcgi_store_access',
  'fastcgi_temp_file_write_size', 'fastcgi_temp_path', 'geoip_city', 'geoip_country', 'geoip_org',
  'geoip_proxy_recursive', 'google_perftools_profiles', 'grpc_bind', 'grpc_buffer_size',
  'grpc_connect_timeout', 'grpc_intercept_errors', 'grpc_next_upstream_timeout', 'grpc_next_upstream_tries',
  'grpc_pass', 'grpc_read_timeout', 'grpc_send_timeout', 'grpc_socket_keepalive', 'grpc_ssl_certificate',
  'grpc_ssl_certificate_key', 'grpc_ssl_ciphers', 'grpc_ssl_crl', 'grpc_ssl_name', 'grpc_ssl_password_file',
  'grpc_ssl_server_name', 'grpc_ssl_session_reuse', 'grpc_ssl_trusted_certificate', 'grpc_ssl_verify',
  'grpc_ssl_verify_depth', 'gunzip', 'gunzip_buffers', 'gzip', 'gzip_buffers', 'gzip_comp_level', 'gzip_hash',
  'gzip_http_version', 'gzip_min_length', 'gzip_no_buffer', 'gzip_static', 'gzip_vary', 'gzip_window', 'http',
  'http2', 'http2_body_preread_size', 'http2_chunk_size', 'http2_max_concurrent_streams', 'http2_pool_size',
  'http2_recv_buffer_size', 'http2_streams_index_size', 'http3', 'http3_hq', 'http3_max_concurrent_streams',
  'http3_stream_buffer_size', 'if_modified_since', 'ignore_invalid_headers', 'image_filter_buffer',
  'image_filter_interlace', 'image_filter_transparency', 'imap_client_buffer', 'internal', 'iocp_threads',
  'keepalive', 'keepalive_requests', 'keepalive_time', 'keepalive_timeout', 'kqueue_changes', 'kqueue_events',
  'large_client_header_buffers', 'limit_conn_dry_run', 'limit_conn_log_level', 'limit_conn_status',
  'limit_except', 'limit_rate', 'limit_rate_after', 'limit_req_dry_run', 'limit_req_log_level',
  'limit_req_status', 'lingering_close', 'lingering_time', 'lingering_timeout', 'lock_file', 'log_not_found',
  'log_subrequest', 'mail', 'map_hash_bucket_size', 'map_hash_max_size', 'master_process', 'max_errors',
  'max_ranges', 'memcached_bind', 'memcached_buffer_size', 'memcached_connect_timeout', 'memcached_gzip_flag',
  'memcached_next_upstream_timeout', 'memcached_next_upstream_tries', 'memcached_pass',
  'memcached_read_timeout', 'memcached_send_timeout', 'memcached_socket_keepalive', 'merge_slashes',
  'min_delete_depth', 'mirror_request_body', 'mp4_buffer_size', 'mp4_max_buffer_size', 'mp4_start_key_frame',
  'msie_padding', 'msie_refresh', 'multi_accept', 'open_file_cache', 'open_file_cache_errors',
  'open_file_cache_events', 'open_file_cache_min_uses', 'open_file_cache_valid', 'open_log_file_cache',
  'output_buffers', 'override_charset', 'pass', 'pcre_jit', 'pid', 'port_in_redirect', 'post_acceptex',
  'post_action', 'postpone_gzipping', 'postpone_output', 'preread_buffer_size', 'preread_timeout', 'proxy',
  'proxy_bind', 'proxy_buffer', 'proxy_buffer_size', 'proxy_buffering', 'proxy_buffers',
  'proxy_busy_buffers_size', 'proxy_cache', 'proxy_cache_background_update', 'proxy_cache_convert_head',
  'proxy_cache_key', 'proxy_cache_lock', 'proxy_cache_lock_age', 'proxy_cache_lock_timeout',
  'proxy_cache_max_range_offset', 'proxy_cache_min_uses', 'proxy_cache_revalidate', 'proxy_connect_timeout',
  'proxy_download_rate', 'proxy_downstream_buffer', 'proxy_force_ranges', 'proxy_half_close',
  'proxy_headers_hash_bucket_size', 'proxy_headers_hash_max_size', 'proxy_http_version',
  'proxy_ignore_client_abort', 'proxy_intercept_errors', 'proxy_limit_rate', 'proxy_max_temp_file_size',
  'proxy_method', 'proxy_next_upstream_timeout', 'proxy_next_upstream_tries', 'proxy_pass',
  'proxy_pass_error_message', 'proxy_pass_request_body', 'proxy_pass_request_headers', 'proxy_protocol',
  'proxy_protocol_timeout', 'proxy_read_timeout', 'proxy_request_buffering', 'proxy_requests',
  'proxy_responses', 'proxy_send_lowat', 'proxy_send_timeout', 'proxy_set_body', 'proxy_smtp_auth',
  'proxy_socket_keepalive', 'proxy_ssl', 'proxy_ssl_certificate', 'proxy_ssl_certificate_key',
  'proxy_ssl_ciphers', 'proxy_ssl_crl', 'proxy_ssl_name', 'proxy_ssl_password_file', 'proxy_ssl_server_name',
  'proxy_ssl_session_reuse', 'proxy_ssl_trusted_certificate', 'proxy_ssl_verify', 'proxy_ssl_verify_depth',
  'proxy_store', 'proxy_store_access', 'proxy_temp_file_write_size', 'proxy_temp_path', 'proxy_timeout',
  'proxy_upload_rate', 'proxy_upstream_buffer', 'quic_active_connection_id_limit', 'quic_bpf', 'quic_gso',
  'quic_host_key', 'quic_retry', 'random_index', 'read_ahead', 'real_ip_header', 'real_ip_recursive',
  'recursive_error_pages', 'referer_hash_bucket_size', 'referer_hash_max_size', 'request_pool_size',
  'reset_timedout_connection', 'resolver', 'resolver_timeout', 'rewrite_log', 'root', 'satisfy', 'scgi_bind',
  'scgi_buffer_size', 'scgi_buffering', 'scgi_buffers', 'scgi_busy_buffers_size', 'scgi_cache',
  'scgi_cache_background_update', 'scgi_cache_key', 'scgi_cache_lock', 'scgi_cache_lock_age',
  'scgi_cache_lock_timeout', 'scgi_cache_max_range_offset', 'scgi_cache_min_uses', 'scgi_cache_revalidate',
  'scgi_connect_timeout', 'scgi_force_ranges', 'scgi_ignore_client_abort', 'scgi_intercept_errors',
  'scgi_limit_rate', 'scgi_max_temp_file_size', 'scgi_next_upstream_timeout', 'scgi_next_upstream_tries',
  'scgi_pass', 'scgi_pass_request_body', 'scgi_pass_request_headers', 'scgi_read_timeout',
  'scgi_request_buffering', 'scgi_send_timeout', 'scgi_socket_keepalive', 'scgi_store', 'scgi_store_access',
  'scgi_temp_file_write_size', 'scgi_temp_path', 'secure_link', 'secure_link_md5', 'secure_link_secret',
  'send_lowat', 'send_timeout', 'sendfile', 'sendfile_max_chunk', 'server_name_in_redirect',
  'server_names_hash_bucket_size', 'server_names_hash_max_size', 'server_tokens', 'slice',
  'smtp_client_buffer', 'smtp_greeting_delay', 'source_charset', 'ssi', 'ssi_ignore_recycled_buffers',
  'ssi_last_modified', 'ssi_min_file_chunk', 'ssi_silent_errors', 'ssi_value_length', 'ssl', 'ssl_alpn',
  'ssl_buffer_size', 'ssl_ciphers', 'ssl_client_certificate', 'ssl_crl', 'ssl_dhparam', 'ssl_early_data',
  'ssl_ecdh_curve', 'ssl_engine', 'ssl_handshake_timeout', 'ssl_ocsp', 'ssl_ocsp_cache', 'ssl_ocsp_responder',
  'ssl_password_file', 'ssl_prefer_server_ciphers', 'ssl_preread', 'ssl_reject_handshake',
  'ssl_session_tickets', 'ssl_session_timeout', 'ssl_stapling', 'ssl_stapling_file', 'ssl_stapling_responder',
  'ssl_stapling_verify', 'ssl_trusted_certificate', 'ssl_verify_client', 'ssl_verify_depth', 'starttls',
  'stream', 'sub_filter_last_modified', 'sub_filter_once', 'subrequest_output_buffer_size', 'tcp_nodelay',
  'tcp_nopush', 'timeout', 'timer_resolution', 'try_files', 'types_hash_bucket_size', 'types_hash_max_size',
  'underscores_in_headers', 'uninitialized_variable_warn', 'use', 'user', 'userid', 'userid_domain',
  'userid_expires', 'userid_mark', 'userid_name', 'userid_p3p', 'userid_path', 'userid_service', 'uwsgi_bind',
  'uwsgi_buffer_size', 'uwsgi_buffering', 'uwsgi_buffers', 'uwsgi_busy_buffers_size', 'uwsgi_cache',
  'uwsgi_cache_background_update', 'uwsgi_cache_key', 'uwsgi_cache_lock', 'uwsgi_cache_lock_age',
  'uwsgi_cache_lock_timeout', 'uwsgi_cache_max_range_offset', 'uwsgi_cache_min_uses', 'uwsgi_cache_revalidate',
  'uwsgi_connect_timeout', 'uwsgi_force_ranges', 'uwsgi_ignore_client_abort', 'uwsgi_intercept_errors',
  'uwsgi_limit_rate', 'uwsgi_max_temp_file_size', 'uwsgi_modifier1', 'uwsgi_modifier2',
  'uwsgi_next_upstream_timeout', 'uwsgi_next_upstream_tries', 'uwsgi_pass', 'uwsgi_pass_request_body',
  'uwsgi_pass_request_headers', 'uwsgi_read_timeout', 'uwsgi_request_buffering', 'uwsgi_send_timeout',
  'uwsgi_socket_keepalive', 'uwsgi_ssl_certificate', 'uwsgi_ssl_certificate_key', 'uwsgi_ssl_ciphers',
  'uwsgi_ssl_crl', 'uwsgi_ssl_name', 'uwsgi_ssl_password_file', 'uwsgi_ssl_server_name',
  'uwsgi_ssl_session_reuse', 'uwsgi_ssl_trusted_certificate', 'uwsgi_ssl_verify', 'uwsgi_ssl_verify_depth',
  'uwsgi_store', 'uwsgi_store_access', 'uwsgi_string', 'uwsgi_temp_file_write_size', 'uwsgi_temp_path',
  'variables_hash_bucket_size', 'variables_hash_max_size', 'worker_aio_requests', 'worker_connections',
  'worker_cpu_affinity', 'worker_priority', 'worker_processes', 'worker_rlimit_core', 'worker_rlimit_nofile',
  'worker_shutdown_timeout', 'working_directory', 'xclient', 'xml_entities', 'xslt_last_modified',
  // after 1.26 (handlers read in nginx's repository, or plain slot setters)
  'add_header_inherit', 'add_trailer_inherit', 'keepalive_min_timeout', 'max_headers', 'proxy_pass_trailers',
  'ssl_certificate_compression', 'ssl_object_cache_inheritable', 'xml_external_entities',
  'tunnel_pass', 'tunnel_bind', 'tunnel_socket_keepalive', 'tunnel_connect_timeout', 'tunnel_send_timeout',
  'tunnel_send_lowat', 'tunnel_buffer_size', 'tunnel_read_timeout', 'tunnel_next_upstream_tries',
  'tunnel_next_upstream_timeout',
]);

/**
 * Names whose duplicate check depends on the module: rejected twice only in these contexts
 * (elsewhere the same name is a list or a bitmask and may repeat).
 */
export const REJECTS_DUPLICATE_ONLY_IN: Readonly<Record<string, readonly Ctx[]>> = {
  return: ['stream_server'], // http's rewrite-module return may repeat
  proxy_next_upstream: ['stream', 'stream_server'], // a flag in stream, a bitmask in http
  server_name: ['mail', 'mail_server'], // a string in mail, a list in http and stream
};

/** Rejected as duplicate only when the same shared-memory zone is named twice in one block. */
export const REJECTS_SAME_ZONE: ReadonlySet<string> = new Set(['limit_conn', 'limit_req']);

/** Repeats are fine, but `off` together with any other occurrence in one block is "is duplicate". */
export const REJECTS_OFF_WITH_OTHERS: ReadonlySet<string> = new Set([
  'mirror', 'proxy_cookie_domain', 'proxy_cookie_flags', 'proxy_cookie_path', 'proxy_redirect',
]);
