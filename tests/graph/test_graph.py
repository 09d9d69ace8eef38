"""Graphs: default graph stack, names and scopes, collections, finalize, lookup, DOT."""

import threading

import duograd.frontends.graph as tf
import numpy as np
import pytest


def test_default_graph_and_as_default_nest():
    g0 = tf.get_default_graph()
    g1, g2 = tf.Graph(), tf.Graph()
    with g1.as_default():
        assert tf.get_default_graph() is g1
        with g2.as_default():
            assert tf.get_default_graph() is g2
            c = tf.constant(1.0)
        assert tf.get_default_graph() is g1
    assert tf.get_default_graph() is g0
    assert c.graph is g2


def test_default_graph_stack_is_thread_local():
    g1 = tf.Graph()
    seen = []
    with g1.as_default():
        t = threading.Thread(target=lambda: seen.append(tf.get_default_graph()))
        t.start()
        t.join()
    assert seen[0] is not g1


def test_reset_default_graph_inside_nesting_raises():
    g = tf.get_default_graph()
    tf.reset_default_graph()
    assert tf.get_default_graph() is not g
    with tf.Graph().as_default():
        with pytest.raises(AssertionError, match="nested graphs"):
            tf.reset_default_graph()


def test_unique_op_names_follow_tf():
    a = tf.constant([1, 2])
    b = tf.constant([3, 4])
    assert a.name == "Const:0" and b.name == "Const_1:0"
    assert (a + b).name == "add:0"
    assert (a + b).name == "add_1:0"
    # TF's names are unique case-insensitively: "Add" after "add" becomes "Add_2"
    assert tf.add(a, b).name == "Add_2:0"
    assert tf.multiply(a, b, name="prod").name == "prod:0"
    assert tf.multiply(a, b, name="prod").name == "prod_1:0"
    assert (a * b).op.type == "Mul" and tf.matmul(
        tf.ones([2, 2]), tf.ones([2, 2])
    ).op.type == "MatMul"


def test_name_scope_prefixes_and_uniquifies():
    with tf.name_scope("layer") as scope:
        assert scope == "layer/"
        x = tf.constant(1.0, name="x")
        with tf.name_scope("inner"):
            y = x * 2.0
    with tf.name_scope("layer") as scope2:
        z = tf.constant(2.0, name="x")
    assert x.name == "layer/x:0"
    assert y.name == "layer/inner/mul:0"
    assert scope2 == "layer_1/" and z.name == "layer_1/x:0"
    with tf.name_scope("layer/"):  # an absolute scope is re-entered as is
        w = tf.constant(3.0, name="w")
    assert w.name == "layer/w:0"


def test_get_tensor_and_operation_by_name():
    g = tf.get_default_graph()
    a = tf.placeholder(tf.float32, [2], name="a")
    out = tf.identity(a * 3.0, name="out")
    assert g.get_tensor_by_name("out:0") is out
    assert g.get_operation_by_name("a") is a.op
    assert out.op.inputs[0].op.type == "Mul"
    with pytest.raises(KeyError, match="does not exist"):
        g.get_tensor_by_name("nope:0")
    with pytest.raises(KeyError):
        g.get_operation_by_name("nope")
    with pytest.raises(ValueError, match="Tensor names"):
        g.get_tensor_by_name("out")


def test_collections():
    g = tf.get_default_graph()
    tf.add_to_collection("things", 1)
    tf.add_to_collections(["things", "more"], 2)
    assert tf.get_collection("things") == [1, 2]
    assert tf.get_collection("more") == [2]
    ref = tf.get_collection_ref("things")
    ref.append(3)
    assert g.get_collection("things") == [1, 2, 3]
    v = tf.Variable(1.0, name="scoped/v")
    w = tf.Variable(1.0, name="other")
    assert tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope="scoped") == [v]
    assert tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES) == [v, w]
    assert set(g.get_all_collection_keys()) >= {"things", "more", "variables"}


def test_finalize_forbids_new_ops():
    g = tf.Graph()
    with g.as_default():
        a = tf.constant(1.0)
    g.finalize()
    assert g.finalized
    with g.as_default():
        with pytest.raises(RuntimeError, match="finalized"):
            tf.constant(2.0)
        with pytest.raises(ValueError, match="finalized"):
            a * 2.0
    with tf.Session(graph=g) as sess:  # running a finalized graph is fine
        assert sess.run(a) == 1.0


def test_tensors_from_two_graphs_raise_value_error():
    g1, g2 = tf.Graph(), tf.Graph()
    with g1.as_default():
        a = tf.constant([1.0])
    with g2.as_default():
        b = tf.constant([2.0])
        with pytest.raises(ValueError, match="same graph"):
            tf.add(a, b)
        with pytest.raises(ValueError, match="same graph"):
            a * b


def test_op_goes_to_the_graph_of_its_inputs_as_in_tf():
    a = tf.constant([1, 2, 3])
    g = tf.Graph()
    with g.as_default():
        c = tf.multiply(a, a)
    assert c.graph is a.graph and c.graph is not g


def test_control_dependencies_order_effects():
    v = tf.Variable(1.0)
    with tf.control_dependencies([v.assign(5.0)]):
        after = v.read_value()
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(after) == 5.0
        assert sess.run(v) == 5.0
    assert after.op.control_inputs[0].type == "Assign"


def test_group_and_no_op_have_no_outputs():
    v = tf.Variable(0.0)
    op = tf.group(v.assign_add(1.0), v.assign_add(2.0))
    assert op.outputs == [] and op.type == "NoOp"
    assert tf.no_op().type == "NoOp"
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(op) is None
        assert sess.run(v) == 3.0


def test_dot_output_lists_nodes_and_edges():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = tf.reduce_sum(x * 2.0, name="total")
    dot = tf.graph_to_dot(tf.get_default_graph())
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert '"x\\nPlaceholder\\n(None, 2) float32"' in dot
    assert "total\\nSum" in dot
    ix, iy = x.node.index, y.node.index
    assert dot.count("->") >= 3
    assert f"n{ix} ->" in dot and f"-> n{iy};" in dot
    assert tf.get_default_graph().as_dot() == dot


def test_tensor_properties():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    assert x.shape.as_list() == [None, 3]
    assert x.get_shape().ndims == 2 and x.shape[1] == 3
    assert x.dtype == tf.float32 and x.dtype == "float32" and x.dtype == np.float32
    assert x.dtype != tf.int32
    assert x.op.name == "x" and x.op.type == "Placeholder" and x.graph is tf.get_default_graph()
    assert str(x) == 'Tensor("x:0", shape=(None, 3), dtype=float32)'
    u = tf.placeholder(tf.float32)
    assert u.shape.ndims is None and str(u.shape) == "<unknown>"
    with pytest.raises(ValueError):
        u.shape.as_list()
    with pytest.raises(TypeError):
        bool(x)
    with pytest.raises(TypeError):
        iter(x)
    with pytest.raises(NotImplementedError):
        np.asarray(x)


def test_summaries_are_accepted_and_file_writer_writes_dot(tmp_path):
    pytest.importorskip("tensorboard")
    x = tf.placeholder(tf.float32, [], name="x")
    loss = x * 2.0
    tf.summary.scalar("loss", loss)
    tf.summary.histogram("x", x)
    merged = tf.summary.merge_all()
    assert len(tf.get_collection(tf.GraphKeys.SUMMARIES)) == 2
    writer = tf.summary.FileWriter(str(tmp_path / "logs"), tf.get_default_graph())
    with tf.Session() as sess:
        summary, value = sess.run([merged, loss], {x: 3.0})
        writer.add_summary(summary, 1)
    writer.close()
    assert isinstance(summary, bytes) and value == 6.0
    assert (tmp_path / "logs" / "graph.dot").read_text().startswith("digraph")


def test_unsupported_dtypes_raise_type_error():
    for dt in (tf.string, tf.float16, None, np.float16, "float16"):
        with pytest.raises(TypeError, match="not supported|unknown dtype"):
            tf.placeholder(dt)
