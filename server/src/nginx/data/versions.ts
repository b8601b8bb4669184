// The nginx version in which a directive appeared (or was removed), from nginx's CHANGES file
// and the "This directive appeared in version ..." notes of nginx.org's module pages.
// Only directives newer than nginx 1.18 (the oldest release still shipped by a supported
// distribution: Ubuntu 20.04) are listed; older ones are treated as always present.
// Used only when the nginx version is known (setting `nginx502.nginx.version` or `nginx -v`).

export const DIRECTIVE_SINCE: Readonly<Record<string, string>> = {
  // 1.19.x
  ssl_ocsp: '1.19.0',
  ssl_ocsp_cache: '1.19.0',
  ssl_ocsp_responder: '1.19.0',
  proxy_cookie_flags: '1.19.3',
  ssl_conf_command: '1.19.4',
  proxy_ssl_conf_command: '1.19.4',
  grpc_ssl_conf_command: '1.19.4',
  uwsgi_ssl_conf_command: '1.19.4',
  ssl_reject_handshake: '1.19.4',
  keepalive_time: '1.19.10',
  // 1.21.x
  proxy_half_close: '1.21.4',
  ssl_alpn: '1.21.4',
  mp4_start_key_frames: '1.21.4',
  // 1.25.x: HTTP/3 and the http2 directive
  http2: '1.25.1',
  http3: '1.25.0',
  http3_hq: '1.25.0',
  http3_max_concurrent_streams: '1.25.0',
  http3_stream_buffer_size: '1.25.0',
  quic_active_connection_id_limit: '1.25.0',
  quic_bpf: '1.25.0',
  quic_gso: '1.25.0',
  quic_host_key: '1.25.0',
  quic_retry: '1.25.0',
  pass: '1.25.5',
  // 1.27.x
  ssl_key_log: '1.27.2',
  proxy_pass_trailers: '1.27.2',
  ssl_certificate_cache: '1.27.4',
  proxy_ssl_certificate_cache: '1.27.4',
  grpc_ssl_certificate_cache: '1.27.4',
  uwsgi_ssl_certificate_cache: '1.27.4',
  ssl_object_cache_inheritable: '1.27.4',
  // 1.29.x
  early_hints: '1.29.0',
};

export const DIRECTIVE_REMOVED: Readonly<Record<string, string>> = {
  ssl: '1.25.1',
};
