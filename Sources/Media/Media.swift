/// Media codecs the gateway serves from `/files/…`: deterministic PNG images and MP4 videos, and the
/// SHA-256/HMAC that signs task callbacks. Pure functions over bytes; no I/O, no shared state.
public enum Media {}
