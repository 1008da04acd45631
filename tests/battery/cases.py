"""Every case of the battery, in one list (:data:`CASES`)."""

from battery import (
    cases_callbacks,
    cases_class_weight,
    cases_divergence,
    cases_dropout,
    cases_float32,
    cases_gradcheck,
    cases_input_types,
    cases_input_validation,
    cases_onnx,
    cases_parameters,
    cases_partial_fit,
    cases_persistence,
    cases_sample_weight,
    cases_sequences,
    cases_targets,
    cases_warm_start,
)

MODULES = (
    cases_input_validation,
    cases_targets,
    cases_input_types,
    cases_parameters,
    cases_sample_weight,
    cases_class_weight,
    cases_float32,
    cases_divergence,
    cases_dropout,
    cases_warm_start,
    cases_partial_fit,
    cases_sequences,
    cases_persistence,
    cases_callbacks,
    cases_onnx,
    cases_gradcheck,
)

CASES = [case for module in MODULES for case in module.CASES]
