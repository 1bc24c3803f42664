//! Sans-IO inventory engine. Time comes from the reads, never from a clock.
