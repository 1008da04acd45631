"""The layer kinds for tables (per-feature scale, categorical embeddings,
periodic embeddings, the NTK-parametrised dense layer) and networks built
from a list of layers: hand-worked tiny cases, gradients against finite
differences in float64, and training end to end through the Trainer."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skbackprop._engine import Adam, Network, Trainer, gradcheck
from skbackprop._engine.activations import get_activation
from skbackprop._engine.kernels import tiny_epoch_loop
from skbackprop._engine.layers import Dense, LayerBuffers
from skbackprop._engine.numpy_ops import NUMPY
from skbackprop._engine.table_layers import (
    CategoricalEmbedding,
    ParametricActivation,
    PeriodicEmbedding,
    PiecewiseLinearEncoding,
    Scale,
)
from skbackprop._engine.trainer import check_array_api

TANH, RELU = get_activation("tanh"), get_activation("relu")
SOFTMAX = get_activation("softmax", output=True)
IDENTITY = get_activation("identity", output=True)


def _table(n=24, seed=0):
    """Two numeric columns, then the codes of two categorical columns
    (cardinalities 3 and 5, with unknown codes: 0, -1, 9, 7.0)."""
    rng = np.random.RandomState(seed)
    numeric = rng.randn(n, 2)
    codes = np.column_stack([rng.randint(0, 4, n), rng.randint(0, 6, n)])
    codes[:4, 1] = [-1, 9, 7, 0]
    return np.column_stack([numeric, codes]).astype(float)


def _embedding():
    return CategoricalEmbedding(4, columns=[2, 3], cardinalities=[3, 5],
                                dims=[2, 3])


def _table_network(loss="log_loss", outputs=3):
    out = SOFTMAX if loss == "log_loss" else IDENTITY
    emb = _embedding()
    return Network.from_layers([
        emb, Scale(emb.fan_out), Dense(emb.fan_out, 6, TANH),
        Dense(6, outputs, out),
    ], loss)


def _targets(n, loss="log_loss", seed=1):
    rng = np.random.RandomState(seed)
    if loss == "log_loss":
        return np.eye(3)[rng.randint(0, 3, n)]
    return rng.randn(n, 2)


# ----------------------------------------------------------------------
# a network from a list of layers
def test_a_network_of_dense_layers_is_the_estimators_network_bit_for_bit():
    X = _table()[:, :2]
    layers = [Dense(2, 5, TANH, 6.0), Dense(5, 3, SOFTMAX, 6.0)]
    built = Network.from_layers(layers, "log_loss")
    plain = Network([2, 5, 3], "tanh", "log_loss")
    flat = built.init_params(np.random.RandomState(3))
    assert_array_equal(flat, plain.init_params(np.random.RandomState(3)))
    assert built.layer_units == plain.layer_units == [2, 5, 3]
    assert built.plain and plain.plain
    assert_array_equal(built.predict(*built.unpack(flat), X),
                       plain.predict(*plain.unpack(flat), X))


def test_the_layers_must_chain_and_end_in_the_losss_output_layer():
    with pytest.raises(ValueError, match="layer 2 .* takes 4 inputs but layer 1"):
        Network.from_layers([Scale(3), Dense(4, 3, SOFTMAX)], "log_loss")
    with pytest.raises(ValueError, match="output activation 'softmax'"):
        Network.from_layers([Scale(3), Dense(3, 3, TANH)], "log_loss")
    with pytest.raises(ValueError, match="at least one layer"):
        Network.from_layers([], "log_loss")


def test_parameter_groups_cover_the_flat_buffer_once_and_name_each_part():
    net = _table_network()
    groups = net.parameter_groups()
    assert [(i, name) for i, name, _ in groups] == [
        (0, "tables"), (1, "scale"), (2, "weights"), (2, "biases"),
        (3, "weights"), (3, "biases")]
    covered = np.zeros(net.n_params, int)
    for _, _, part in groups:
        covered[part] += 1
    assert (covered == 1).all()
    rates = {"tables": 1.0, "scale": 6.0, "weights": 1.0, "biases": 0.1}
    factors = net.per_parameter(lambda layer, name: rates[name])
    assert_array_equal(factors[net.layers[1].coef_slice], 6.0)
    assert_array_equal(factors[net.layers[2].intercept_slice], 0.1)
    # the flat layout stays every coefficient, then every intercept
    assert net.layers[3].coef_slice.stop == net.n_coef
    assert net.layers[2].intercept_slice.start == net.n_coef


def test_the_compiled_epoch_declines_a_network_with_other_layers():
    assert not _table_network().plain
    assert tiny_epoch_loop(_table_network(), 4, 10**6) is None
    ntk = Network.from_layers([Dense(2, 3, TANH, parametrization="ntk"),
                               Dense(3, 3, SOFTMAX)], "log_loss")
    assert not ntk.plain and tiny_epoch_loop(ntk, 4, 10**6) is None


# ----------------------------------------------------------------------
# Scale
def test_scale_by_hand():
    layer = Scale(3)
    X = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 4.0]])
    s = np.array([2.0, -1.0, 0.5])
    buf = layer.buffers(2, np.float64)
    assert_array_equal(layer.forward(NUMPY, (s, s[:0]), X, buf, 2),
                       [[2.0, -2.0, -0.5], [1.0, 0.0, 2.0]])
    g = np.array([[1.0, 1.0, 1.0], [2.0, -1.0, 0.0]])
    grads = (np.empty(3), np.empty(0))
    input_grad, scale_grad, _ = layer.backward(NUMPY, (s, s[:0]), grads, X,
                                               g.copy(), buf, 2)
    assert_array_equal(input_grad, g * s)
    assert_array_equal(scale_grad, [1.0 + 1.0, 2.0, -1.0])  # sum_i g_i a_i
    flat = np.empty(3)
    layer.place(1, 0, 3)
    layer.init(np.random.RandomState(0), *layer.blocks(flat))
    assert_array_equal(flat, 1.0)


def test_scale_gradchecks():
    rng = np.random.RandomState(0)
    X, Y = rng.randn(10, 3), _targets(10)
    net = Network.from_layers([Scale(3), Dense(3, 4, TANH), Scale(4),
                               Dense(4, 3, SOFTMAX)], "log_loss")
    flat = rng.uniform(0.5, 1.5, net.n_params)
    assert gradcheck(X, Y, network=net, params=flat, alpha=0.1) < 1e-6


# ----------------------------------------------------------------------
# categorical embeddings
def test_categorical_embedding_by_hand():
    layer = CategoricalEmbedding(3, columns=[0], cardinalities=[2], dims=2)
    layer.place(1, 0, 6)
    assert (layer.fan_out, layer.coef_size) == (4, 6)
    table = np.array([[0.0, 0.5], [1.0, 2.0], [3.0, 4.0]])  # row 0: unknown
    X = np.array([[2.0, 7.0, 8.0], [1.0, 5.0, 6.0], [np.nan, 1.0, 2.0],
                  [3.0, 0.0, 0.0], [2.0, -1.0, -2.0]])
    params = (table.ravel(), np.empty(0))
    buf = layer.buffers(5, np.float64)
    out = layer.forward(NUMPY, params, X, buf, 5)
    assert_array_equal(out, [[7, 8, 3, 4], [5, 6, 1, 2], [1, 2, 0, 0.5],
                             [0, 0, 0, 0.5], [-1, -2, 3, 4]])
    g = np.arange(20.0).reshape(5, 4)
    grads = (np.empty(6), np.empty(0))
    layer.backward(NUMPY, params, grads, X, g, buf, 5, need_input_grad=False)
    # scatter-add: code 2 on rows 0 and 4, code 1 on row 1, unknown on 2, 3
    assert_array_equal(layer.tables(grads[0])[0],
                       [[10 + 14, 11 + 15], [6, 7], [2 + 18, 3 + 19]])


def test_categorical_embedding_passes_the_other_columns_gradient_through():
    layer = _embedding()
    layer.place(2, 0, 0)
    X = _table(5)
    flat = np.random.RandomState(0).randn(layer.coef_size)
    buf = layer.buffers(5, np.float64)
    layer.forward(NUMPY, (flat, flat[:0]), X, buf, 5)
    g = np.random.RandomState(1).randn(5, layer.fan_out)
    input_grad, _, _ = layer.backward(NUMPY, (flat, flat[:0]),
                                      (np.empty_like(flat), flat[:0]), X,
                                      g.copy(), buf, 5)
    assert_array_equal(input_grad[:, :2], g[:, :2])
    assert_array_equal(input_grad[:, 2:], 0.0)


def test_categorical_embedding_reads_unknown_codes_as_row_zero():
    layer = _embedding()
    net = Network.from_layers([layer, Dense(layer.fan_out, 3, SOFTMAX)],
                              "log_loss")
    flat = net.init_params(np.random.RandomState(0))
    X = _table(4)
    unknown = X.copy()
    unknown[:, 3] = 0.0
    for value in (-1.0, 6.0, np.nan, np.inf):
        X[:, 3] = value
        assert_array_equal(net.predict(*net.unpack(flat), X),
                           net.predict(*net.unpack(flat), unknown))


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_categorical_embedding_gradchecks(loss):
    X = _table()
    net = _table_network(loss, outputs=3 if loss == "log_loss" else 2)
    sw = np.random.RandomState(2).uniform(0.5, 2.0, X.shape[0])
    err = gradcheck(X, _targets(X.shape[0], loss), network=net, alpha=0.1,
                    sample_weight=sw, random_state=1)
    assert err < 1e-6


def test_categorical_embedding_refuses_bad_columns_by_name():
    with pytest.raises(ValueError, match="2 code columns but 1 cardinalities"):
        CategoricalEmbedding(4, [2, 3], [3])
    with pytest.raises(ValueError, match="2 code columns but 3 dims"):
        CategoricalEmbedding(4, [2, 3], [3, 3], dims=[2, 2, 2])
    with pytest.raises(ValueError, match=r"must lie in \[0, 4\)"):
        CategoricalEmbedding(4, [4], [3])
    with pytest.raises(ValueError, match="repeated"):
        CategoricalEmbedding(4, [1, 1], [3, 3])
    with pytest.raises(ValueError, match="positive"):
        CategoricalEmbedding(4, [1], [0])
    with pytest.raises(ValueError, match="dropout applies to Dense"):
        _embedding().buffers(4, np.float64, rate=0.5)


def test_the_array_api_refuses_a_categorical_embedding_by_name():
    with pytest.raises(NotImplementedError, match="CategoricalEmbedding"):
        check_array_api(_table_network())


# ----------------------------------------------------------------------
# periodic embeddings
def test_periodic_embedding_by_hand():
    layer = PeriodicEmbedding(2, columns=[1], frequencies=2, dims=1)
    layer.place(1, 0, 0)
    assert (layer.fan_out, layer.coef_size, layer.intercept_size) == (3, 4, 3)
    w, V = np.array([[0.25, 1.0]]), np.array([[[2.0], [3.0]]])
    b, u = np.array([[0.0, np.pi / 2]]), np.array([[0.5]])
    X = np.array([[7.0, 1.0], [-3.0, 0.5]])
    out = layer.forward(NUMPY, (w, V, b, u), X, layer.buffers(2, np.float64), 2)
    # x = 1: cos(pi/2) = 0, cos(2 pi + pi/2) = 0; x = 0.5: cos(pi/4), cos(3 pi/2)
    expected = [0.5 + 2 * np.cos(np.pi / 2) + 3 * np.cos(2.5 * np.pi),
                0.5 + 2 * np.cos(np.pi / 4) + 3 * np.cos(1.5 * np.pi)]
    assert_allclose(out[:, 0], expected, atol=1e-15)
    assert_array_equal(out[:, 1:], X)


def _periodic_network(loss="log_loss"):
    periodic = PeriodicEmbedding(4, columns=[0, 2, 3], frequencies=4, dims=3,
                                 sigma=0.5)
    return Network.from_layers([
        periodic, Dense(periodic.fan_out, 5, TANH),
        PeriodicEmbedding(5, columns=[1, 4], frequencies=3, dims=2),
        Dense(5 + 4, 3, SOFTMAX if loss == "log_loss" else IDENTITY),
    ], loss)


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_periodic_embedding_gradchecks(loss):
    X = np.random.RandomState(0).randn(12, 4)
    net = _periodic_network(loss)
    Y = _targets(12, loss)[:, :3] if loss == "log_loss" else np.random.RandomState(
        1).randn(12, 3)
    assert gradcheck(X, Y, network=net, alpha=0.1, random_state=2) < 1e-6


def test_periodic_embedding_refuses_bad_columns_by_name():
    with pytest.raises(ValueError, match="repeated"):
        PeriodicEmbedding(3, columns=[1, 1])
    with pytest.raises(ValueError, match=r"must lie in \[0, 3\)"):
        PeriodicEmbedding(3, columns=[3])
    with pytest.raises(ValueError, match="positive integers"):
        PeriodicEmbedding(3, frequencies=0)


def test_periodic_embedding_groups_and_init():
    net = _periodic_network()
    layer = net.layers[0]
    flat = net.init_params(np.random.RandomState(0))
    w, V, b, u = layer.parameters(flat)
    groups = layer.groups()
    assert_array_equal(flat[groups["frequencies"]], w.ravel())
    assert_array_equal(flat[groups["weights"]], V.ravel())
    assert_array_equal(flat[groups["phases"]], b.ravel())
    assert_array_equal(flat[groups["biases"]], u.ravel())
    assert np.abs(b).max() <= np.pi and np.abs(V).max() <= 0.5  # 1/sqrt(4)
    assert 0.2 < w.std() < 1.0  # sigma 0.5


# ----------------------------------------------------------------------
# piecewise-linear encodings
def test_piecewise_linear_encoding_by_hand():
    layer = PiecewiseLinearEncoding(2, columns=[1], edges=[[0.0, 1.0, 3.0]])
    assert layer.fan_out == 4 and layer.coef_size == layer.intercept_size == 0
    X = np.array([[9.0, -1.0], [9.0, 0.5], [9.0, 2.0], [9.0, 5.0]])
    out = layer.forward(NUMPY, (np.empty(0), np.empty(0)), X,
                        layer.buffers(4, np.float64), 4)
    # the first bin unclipped below, the last above
    assert_array_equal(out[:, :2], [[-1.0, 0.0], [0.5, 0.0], [1.0, 0.5],
                                    [1.0, 2.0]])
    assert_array_equal(out[:, 2:], X)


def test_piecewise_linear_encoding_gradchecks_through_its_input():
    rng = np.random.RandomState(0)
    X, Y = rng.randn(16, 3), _targets(16)
    encoding = PiecewiseLinearEncoding.from_data(X, columns=[0, 2], bins=4)
    assert encoding.fan_out == 4 + 4 + 3
    net = Network.from_layers([
        Scale(3), encoding, Dense(encoding.fan_out, 5, TANH),
        Dense(5, 3, SOFTMAX)], "log_loss")
    flat = net.init_params(rng)
    flat[net.layers[0].coef_slice] = rng.uniform(0.5, 1.5, 3)  # moves x
    assert gradcheck(X, Y, network=net, params=flat, alpha=0.1) < 1e-6
    assert net.parameter_groups()[1:2] == [(2, "weights", net.layers[2].coef_slice)]


def test_a_piecewise_linear_network_trains_end_to_end():
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, (128, 2))
    Y = np.eye(3)[(np.abs(X[:, 0]) > 1).astype(int) + (X[:, 1] > 0.5)]  # steps
    encoding = PiecewiseLinearEncoding.from_data(X, [0, 1], bins=8)
    net = Network.from_layers([encoding, Dense(encoding.fan_out, 3, SOFTMAX)],
                              "log_loss")
    flat, losses = _train(net, X, Y, epochs=40)
    assert np.isfinite(flat).all() and losses[-1] < 0.5 * losses[0]
    assert (net.predict(*net.unpack(flat), X).argmax(1) == Y.argmax(1)).mean() > 0.9


def test_piecewise_linear_encoding_edges_from_data_and_refusals():
    X = np.column_stack([np.arange(10.0), np.zeros(10), [0.0] * 5 + [1.0] * 5])
    encoding = PiecewiseLinearEncoding.from_data(X, [0, 1, 2], bins=3)
    assert_array_equal(encoding.edges[0], [0.0, 3.0, 6.0, 9.0])
    assert_array_equal(encoding.edges[1], [0.0, 1.0])  # constant: one bin
    assert_array_equal(encoding.edges[2], [0.0, 1.0])  # repeated quantiles merged
    with pytest.raises(ValueError, match="strictly increasing"):
        PiecewiseLinearEncoding(2, [0], [[1.0, 1.0]])
    with pytest.raises(ValueError, match="1 columns but 2 sets of edges"):
        PiecewiseLinearEncoding(2, [0], [[0.0, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="repeated"):
        PiecewiseLinearEncoding(2, [0, 0], [[0.0, 1.0], [0.0, 1.0]])


# ----------------------------------------------------------------------
# the parametric activation
def test_parametric_activation_by_hand():
    layer = ParametricActivation(2, RELU)
    Z = np.array([[-2.0, 3.0], [1.0, -1.0]])
    alpha = np.array([0.5, 2.0])
    buf = layer.buffers(2, np.float64)
    out = layer.forward(NUMPY, (alpha, alpha[:0]), Z, buf, 2)
    # z + alpha (relu(z) - z): (-2 + 0.5 * 2, 3 + 0), (1 + 0, -1 + 2 * 1)
    assert_array_equal(out, [[-1.0, 3.0], [1.0, 1.0]])
    g = np.array([[1.0, 1.0], [1.0, 1.0]])
    grads = (np.empty(2), np.empty(0))
    input_grad, alpha_grad, _ = layer.backward(NUMPY, (alpha, alpha[:0]), grads,
                                               Z, g.copy(), buf, 2)
    assert_array_equal(alpha_grad, [2.0 + 0.0, 0.0 + 1.0])  # sum g (f(z) - z)
    # (1 - alpha) + alpha relu'(z)
    assert_array_equal(input_grad, [[0.5, 1.0], [1.0, -1.0]])


def _parametric_network(activation, fan_in=3):
    act = get_activation(activation)
    return Network.from_layers([
        Dense(fan_in, 5, IDENTITY, parametrization="ntk", weight_init="normal",
              bias_init="zeros"),
        ParametricActivation(5, act),
        Dense(5, 4, IDENTITY), ParametricActivation(4, act),
        Dense(4, 3, SOFTMAX),
    ], "log_loss")


@pytest.mark.parametrize("activation", ["tanh", "gelu", "softplus", "elu"])
def test_parametric_activation_gradchecks(activation):
    rng = np.random.RandomState(0)
    X, Y = rng.randn(12, 3), _targets(12)
    net = _parametric_network(activation)
    flat = net.init_params(rng)
    for layer in (net.layers[1], net.layers[3]):  # away from the identity
        flat[layer.coef_slice] = rng.uniform(-1.0, 2.0, layer.fan_in)
    keep = rng.rand(12, 5) > 0.3
    assert gradcheck(X, Y, network=net, params=flat, alpha=0.1,
                     dropout_mask=[None, keep / 0.7, None, None]) < 1e-6
    assert dict(net.layers[1].groups()) == {"activation": net.layers[1].coef_slice}


def test_parametric_activation_starts_as_its_activation():
    X = np.random.RandomState(0).randn(6, 3)
    net = _parametric_network("tanh")
    flat = net.init_params(np.random.RandomState(1))
    plain = Network.from_layers([
        Dense(3, 5, TANH, parametrization="ntk", weight_init="normal",
              bias_init="zeros"),
        Dense(5, 4, TANH), Dense(4, 3, SOFTMAX)], "log_loss")
    coefs, intercepts = net.unpack(flat)
    keep = [0, 2, 4]
    assert_allclose(net.predict(coefs, intercepts, X),
                    plain.predict([coefs[k] for k in keep],
                                  [intercepts[k] for k in keep], X), rtol=1e-14)


# ----------------------------------------------------------------------
# the NTK parametrisation
def test_ntk_dense_by_hand():
    layer = Dense(4, 2, get_activation("identity"), parametrization="ntk")
    W = np.arange(8.0).reshape(4, 2)
    b = np.array([1.0, -1.0])
    X = np.array([[1.0, 0.0, 2.0, -1.0]])
    out = layer.forward(NUMPY, (W, b), X, layer.buffers(1, np.float64), 1)
    assert_allclose(out, X @ W / 2.0 + b, rtol=1e-15)  # 1/sqrt(fan_in) = 1/2


def _ntk_network(weight_init="normal", bias_init="zeros"):
    return Network.from_layers([
        Dense(3, 6, TANH, parametrization="ntk", weight_init=weight_init,
              bias_init=bias_init),
        Dense(6, 3, SOFTMAX, parametrization="ntk", weight_init=weight_init,
              bias_init=bias_init),
    ], "log_loss")


@pytest.mark.parametrize("inits", [("normal", "zeros"), ("std", "he+5")])
def test_ntk_dense_gradchecks(inits):
    rng = np.random.RandomState(0)
    X, Y = rng.randn(15, 3), _targets(15)
    sw = rng.uniform(0.5, 2.0, 15)
    assert gradcheck(X, Y, network=_ntk_network(*inits), alpha=0.1,
                     sample_weight=sw) < 1e-6


def test_ntk_data_dependent_init_is_realmlps():
    X = np.random.RandomState(0).randn(40, 3) * [1.0, 10.0, 0.1]
    net = _ntk_network("std", "he+5")
    flat = net.init_params(np.random.RandomState(1), X)
    W, b = net.layers[0].parameters(flat)
    z = X @ W / np.sqrt(3)
    # "std": every unit's pre-activation has standard deviation 1 on the data
    assert_allclose(z.std(axis=0), 1.0, rtol=1e-12)
    # "he+5": every unit's kink lies among the data (a convex combination)
    assert ((z + b).min(axis=0) <= 0).all() and ((z + b).max(axis=0) >= 0).all()
    # the output layer is initialised from the first layer's output
    W2, b2 = net.layers[1].parameters(flat)
    z2 = np.tanh(z + b) @ W2 / np.sqrt(6)
    assert_allclose(z2.std(axis=0), 1.0, rtol=1e-12)
    assert_array_equal(flat, net.init_params(np.random.RandomState(1), X))


def test_ntk_data_dependent_init_needs_the_data_and_known_names():
    with pytest.raises(ValueError, match="need the training data"):
        _ntk_network("std", "he+5").init_params(np.random.RandomState(0))
    with pytest.raises(ValueError, match="weight_init must be one of"):
        Dense(2, 2, TANH, weight_init="orthogonal")
    with pytest.raises(ValueError, match="parametrization must be"):
        Dense(2, 2, TANH, parametrization="mup")


# ----------------------------------------------------------------------
# the array API
def _scaled_network():
    return Network.from_layers([Scale(4), Dense(4, 5, TANH), Scale(5),
                                Dense(5, 3, SOFTMAX)], "log_loss")


def _encoded_network():
    X = np.random.RandomState(3).randn(30, 4)
    encoding = PiecewiseLinearEncoding.from_data(X, [0, 3], bins=3)
    return Network.from_layers([Scale(4), encoding,
                                Dense(encoding.fan_out, 3, SOFTMAX)], "log_loss")


@pytest.mark.parametrize("network", [
    _scaled_network, _periodic_network, _encoded_network,
    lambda: _parametric_network("gelu", 4), lambda: _parametric_network("elu", 4),
    lambda: Network.from_layers([
        Dense(4, 6, TANH, parametrization="ntk", weight_init="normal",
              bias_init="zeros"),
        Dense(6, 3, SOFTMAX, parametrization="ntk", weight_init="normal",
              bias_init="zeros")], "log_loss"),
])
def test_table_layers_run_on_the_array_api_as_on_numpy(network):
    xp = pytest.importorskip("array_api_strict")
    from skbackprop._engine import ArrayNamespace
    from skbackprop._engine.kernels import ArrayApiKernels

    rng = np.random.RandomState(0)
    X, Y = rng.randn(10, 4), _targets(10)
    net = network()
    check_array_api(net)
    flat = net.init_params(rng)
    flat[:net.n_coef] += rng.uniform(-0.3, 0.3, net.n_coef)  # scale, alpha off 1
    grad = np.empty_like(flat)
    ref = net.loss_grad(flat, grad, X, Y, None, 0.0, net.workspace(10))
    device = xp.Device("CPU_DEVICE")
    kernels = ArrayApiKernels(ArrayNamespace(xp, device, np.asarray))
    to = lambda a: xp.asarray(a, device=device)  # noqa: E731
    loss, dgrad = net.data_loss_grad(to(flat), None, to(X), to(Y), None,
                                     net.workspace(None), kernels)
    assert_allclose(float(loss), ref, rtol=1e-13)
    assert_allclose(np.asarray(dgrad), grad, rtol=1e-11, atol=1e-14)


# ----------------------------------------------------------------------
# end to end
def _train(net, X, Y, epochs=30, batch_size=8, seed=0):
    rng = np.random.RandomState(seed)
    flat = net.init_params(rng, X)
    trainer = Trainer(net, Adam(net.n_params, net.dtype, learning_rate_init=0.01),
                      batch_size, kernels=NUMPY)
    X = trainer.prepare(X, shuffled=True)
    losses = [trainer.epoch(flat, X, Y, None, rng.permutation(X.shape[0]),
                            batch_size, 0.0) / X.shape[0]
              for _ in range(epochs)]
    return flat, losses


def _realmlp_like(n_columns, cardinality):
    """RealMLP-TD's architecture in small: embeddings, front scale, NTK
    dense layers with the data-dependent inits."""
    emb = CategoricalEmbedding(n_columns, [n_columns - 1], [cardinality], dims=4)
    periodic = PeriodicEmbedding(emb.fan_out, columns=range(n_columns - 1),
                                 frequencies=8, dims=3)
    ntk = {"parametrization": "ntk"}
    return Network.from_layers([
        emb, periodic, Scale(periodic.fan_out),
        Dense(periodic.fan_out, 16, IDENTITY, **ntk),
        ParametricActivation(16, RELU), Dense(16, 3, SOFTMAX, **ntk),
    ], "log_loss")


def test_a_realmlp_like_network_trains_end_to_end():
    X = _table(96)[:, [0, 1, 3]]
    Y = np.eye(3)[((X[:, 0] > 0) + X[:, 2].astype(int).clip(0)) % 3]
    net = _realmlp_like(3, 5)
    assert gradcheck(X[:12], Y[:12], network=net, random_state=0) < 1e-6
    flat, losses = _train(net, X, Y, epochs=40)
    assert np.isfinite(flat).all() and np.isfinite(losses).all()
    assert losses[-1] < 0.5 * losses[0]
    assert (net.predict(*net.unpack(flat), X).argmax(1) == Y.argmax(1)).mean() > 0.9


def test_a_table_network_trains_end_to_end():
    X = _table(64)
    # a target the categories decide: the embeddings must learn it
    Y = np.eye(3)[(X[:, 2].astype(int) + X[:, 3].astype(int).clip(0)) % 3]
    net = _table_network()
    flat, losses = _train(net, X, Y)
    assert np.isfinite(flat).all() and np.isfinite(losses).all()
    assert losses[-1] < 0.5 * losses[0]
    assert (net.predict(*net.unpack(flat), X).argmax(1) == Y.argmax(1)).mean() > 0.9


def test_the_output_bound_bounds_a_table_network():
    X = _table(32)
    net = _table_network("squared_error", 2)
    flat = net.init_params(np.random.RandomState(0))
    z = net.predict(*net.unpack(flat), X)  # identity output: z_L itself
    bound = net.output_bound(flat, np.abs(X).max())
    assert np.isfinite(bound) and np.abs(z).max() <= bound


def test_a_prediction_forward_equals_the_training_forward():
    X = _table(6)
    net = _table_network()
    flat = net.init_params(np.random.RandomState(0))
    trained = net.forward(flat, X, net.workspace(6)).copy()
    a = X
    for layer in net.layers:
        buf = LayerBuffers()  # a prediction's: the output store only
        buf.out_store = np.empty((6, layer.fan_out))
        a = layer.forward(NUMPY, layer.parameters(flat), a, buf, 6,
                          training=False)
    assert_allclose(a, trained, rtol=1e-15)


def test_a_table_network_reads_no_stale_buffer():
    """Poisoned workspaces (NaN before every batch) train the same bits."""
    X = _table(40)
    Y = np.eye(3)[X[:, 2].astype(int) % 3]
    fits = []
    for poison in (False, True):
        net = _table_network()
        rng = np.random.RandomState(0)
        flat = net.init_params(rng)
        trainer = Trainer(net, Adam(net.n_params, np.float64, learning_rate_init=0.01),
                          8, kernels=NUMPY, poison=poison)
        for _ in range(3):
            trainer.epoch(flat, X, Y, None, rng.permutation(40), 8, 1e-3)
        fits.append(flat)
    assert np.isfinite(fits[1]).all()
    assert_array_equal(fits[0], fits[1])


def test_dense_layers_of_a_table_network_take_dropout():
    X = np.random.RandomState(0).randn(12, 4)
    Y = _targets(12)
    net = _periodic_network()
    keep = np.random.RandomState(1).rand(12, 5) > 0.3
    err = gradcheck(X, Y, network=net, dropout_mask=[None, keep / 0.7, None],
                    random_state=0)
    assert err < 1e-6
    with pytest.raises(ValueError, match="dropout applies to Dense"):
        net.workspace(12, dropout=[0.0, 0.0, 0.5])


def test_a_float32_table_network_trains_in_float32():
    X = _table(32).astype(np.float32)
    Y = np.eye(3, dtype=np.float32)[X[:, 2].astype(int) % 3]
    emb = _embedding()
    periodic = PeriodicEmbedding(emb.fan_out, columns=[0, 1], frequencies=4)
    net = Network.from_layers([
        emb, periodic, Scale(periodic.fan_out),
        Dense(periodic.fan_out, 6, TANH, parametrization="ntk"),
        Dense(6, 3, SOFTMAX, parametrization="ntk")], "log_loss", np.float32)
    flat, losses = _train(net, X, Y, epochs=5)
    assert flat.dtype == np.float32 and np.isfinite(losses).all()
    out = net.predict(*net.unpack(flat), X)
    assert out.dtype == np.float32 and np.isfinite(out).all()


def test_the_compiled_kernels_train_a_table_network_to_the_same_bits():
    pytest.importorskip("numba")
    from skbackprop._engine.kernels import NumbaKernels, numba_available

    if not numba_available():
        pytest.skip("the compiled loops are turned off")
    X = _table(48)[:, [0, 1, 3]]
    Y = np.eye(3)[X[:, 2].astype(int).clip(0) % 3]
    fits = []
    for kernels in (NUMPY, NumbaKernels()):
        net = _realmlp_like(3, 5)
        rng = np.random.RandomState(0)
        flat = net.init_params(rng, X)
        trainer = Trainer(net, Adam(net.n_params, np.float64, learning_rate_init=0.01),
                          16, kernels=kernels, dropout=[0, 0, 0, 0, 0.2], seed=3)
        for _ in range(3):
            trainer.epoch(flat, X, Y, None, rng.permutation(48), 16, 1e-3)
        fits.append(flat)
    assert_array_equal(fits[0], fits[1])


def test_a_table_network_predicts_in_blocks():
    X = _table(300)
    net = _realmlp_like(4, 3)
    flat = net.init_params(np.random.RandomState(0), X)
    whole = net.predict(*net.unpack(flat), X, block=64)  # five blocks
    parts = [net.predict(*net.unpack(flat), X[a:a + 100]) for a in (0, 100, 200)]
    assert_allclose(whole, np.vstack(parts), rtol=1e-13)


def test_the_array_api_trainer_trains_a_table_network_as_numpy_does():
    xp = pytest.importorskip("array_api_strict")
    from skbackprop._engine import ArrayNamespace, make_trainer

    rng = np.random.RandomState(0)
    X = rng.randn(32, 3)
    Y = np.eye(3)[rng.randint(0, 3, 32)]
    periodic = PeriodicEmbedding(3, frequencies=4)
    ntk = {"parametrization": "ntk"}

    def network():
        return Network.from_layers([
            periodic, Scale(periodic.fan_out),
            Dense(periodic.fan_out, 8, IDENTITY, **ntk),
            ParametricActivation(8, TANH), Dense(8, 3, SOFTMAX, **ntk)],
            "log_loss")

    device = xp.Device("CPU_DEVICE")
    ns = ArrayNamespace(xp, device, np.asarray)
    fits = []
    for on_device in (False, True):
        net = network()
        flat = net.init_params(np.random.RandomState(1), X)
        opt = Adam(net.n_params, np.float64, learning_rate_init=0.01)
        trainer = make_trainer(net, opt, 8, ns=ns if on_device else None,
                               dropout=[0, 0, 0, 0.25], seed=5)
        data = [ns.asarray(a) if on_device else a for a in (flat, X, Y)]
        for _ in range(2):
            trainer.epoch(data[0], data[1], data[2], None,
                          np.random.RandomState(2).permutation(32), 8, 1e-3)
        fits.append(np.asarray(data[0]))
    assert_allclose(fits[1], fits[0], rtol=1e-9, atol=1e-12)


def test_per_group_factors_of_a_table_network_reach_the_optimizer():
    X = _table(32)
    Y = np.eye(3)[X[:, 2].astype(int) % 3]
    net = _table_network()
    rng = np.random.RandomState(0)
    flat = net.init_params(rng)
    start = flat.copy()
    frozen = net.per_parameter(lambda layer, name: 0.0 if name == "tables" else 1.0)
    opt = Adam(net.n_params, np.float64, learning_rate_init=0.01, lr_factors=frozen)
    trainer = Trainer(net, opt, 8, kernels=NUMPY)
    for _ in range(2):
        trainer.epoch(flat, X, Y, None, rng.permutation(32), 8, 0.0)
    tables = net.layers[0].coef_slice
    assert_array_equal(flat[tables], start[tables])
    assert (flat[net.layers[1].coef_slice] != start[net.layers[1].coef_slice]).all()
