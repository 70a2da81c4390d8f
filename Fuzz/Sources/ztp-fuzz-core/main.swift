import FuzzSupport

fuzzMain([
    serverConnectionTarget,
    clientConnectionTarget,
    frameDecoderTarget,
    tokenVerifierTarget,
])
