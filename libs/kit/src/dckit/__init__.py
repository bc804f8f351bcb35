"""The shared service kit: settings, logging, db, outbox/relay, consumers, gRPC plumbing."""
