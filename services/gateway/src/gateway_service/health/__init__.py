"""Operations: health of every dependency, liveness, Prometheus metrics."""
