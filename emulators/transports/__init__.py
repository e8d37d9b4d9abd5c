"""Transport parts a Service owns: HTTP server and client, UDP, DNS over TCP, SMTP."""
