//! Hardware-in-the-loop support: drive our reader drivers against independent peers
//! (emulators from PyPI) or, when an environment variable names one, a real reader.
