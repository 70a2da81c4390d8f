import FuzzSupport

fuzzMain([
    requestTargetTarget,
    jsonBodyTarget,
    policyTarget,
])
