"""Classical (non-neural) codecs used as anchors: Opus, Codec2, MP3.

Each adapter transmits a real bitstream (`Encoded.payloads`), so the measured bitrate counts every
byte the decoder needs, including the framing this suite adds.
"""
