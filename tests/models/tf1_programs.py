"""Whole TF1 programs in the everyday `tensorflow.compat.v1` style (tutorial-sized, random data
in place of downloads). Each runs unchanged under `import duograd.frontends.graph as tf` and
under real `tensorflow.compat.v1`; each leaves `first` and `result` (losses or accuracies)."""

# 1. the "MNIST for ML beginners" softmax regression (zero init: deterministic)
MNIST_SOFTMAX = """
rs = np.random.RandomState(0)
protos = rs.rand(10, 784).astype(np.float32)
labels = rs.randint(0, 10, 200)
images = ((protos[labels] + 0.3 * rs.rand(200, 784)) / 6).astype(np.float32)
onehot = np.eye(10, dtype=np.float32)[labels]
x = tf.placeholder(tf.float32, [None, 784])
W = tf.Variable(tf.zeros([784, 10]))
b = tf.Variable(tf.zeros([10]))
y = tf.nn.softmax(tf.matmul(x, W) + b)
y_ = tf.placeholder(tf.float32, [None, 10])
cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y), reduction_indices=[1]))
train_step = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)
correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
sess = tf.InteractiveSession()
tf.global_variables_initializer().run()
first = sess.run(cross_entropy, feed_dict={x: images, y_: onehot})
for i in range(20):
    batch = slice((i * 50) % 200, (i * 50) % 200 + 50)
    sess.run(train_step, feed_dict={x: images[batch], y_: onehot[batch]})
result = sess.run(cross_entropy, feed_dict={x: images, y_: onehot})
acc = sess.run(accuracy, feed_dict={x: images, y_: onehot})
sess.close()
"""

# 2. "Deep MNIST for experts": conv / pool / dropout / Adam, truncated-normal init
DEEP_MNIST = """
def weight_variable(shape):
    initial = tf.truncated_normal(shape, stddev=0.1)
    return tf.Variable(initial)

def bias_variable(shape):
    initial = tf.constant(0.1, shape=shape)
    return tf.Variable(initial)

def conv2d(x, W):
    return tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding='SAME')

def max_pool_2x2(x):
    return tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding='SAME')

tf.set_random_seed(0)
rs = np.random.RandomState(1)
labels = rs.randint(0, 10, 64)
images = (rs.rand(10, 196)[labels] + 0.2 * rs.rand(64, 196)).astype(np.float32)
onehot = np.eye(10, dtype=np.float32)[labels]
x = tf.placeholder(tf.float32, shape=[None, 196])
y_ = tf.placeholder(tf.float32, shape=[None, 10])
x_image = tf.reshape(x, [-1, 14, 14, 1])
W_conv1 = weight_variable([5, 5, 1, 8])
b_conv1 = bias_variable([8])
h_pool1 = max_pool_2x2(tf.nn.relu(conv2d(x_image, W_conv1) + b_conv1))
W_conv2 = weight_variable([5, 5, 8, 16])
b_conv2 = bias_variable([16])
h_pool2 = max_pool_2x2(tf.nn.relu(conv2d(h_pool1, W_conv2) + b_conv2))
W_fc1 = weight_variable([4 * 4 * 16, 64])
b_fc1 = bias_variable([64])
h_pool2_flat = tf.reshape(h_pool2, [-1, 4 * 4 * 16])
h_fc1 = tf.nn.relu(tf.matmul(h_pool2_flat, W_fc1) + b_fc1)
keep_prob = tf.placeholder(tf.float32)
h_fc1_drop = tf.nn.dropout(h_fc1, keep_prob)
W_fc2 = weight_variable([64, 10])
b_fc2 = bias_variable([10])
y_conv = tf.matmul(h_fc1_drop, W_fc2) + b_fc2
cross_entropy = tf.reduce_mean(
    tf.nn.softmax_cross_entropy_with_logits_v2(labels=y_, logits=y_conv))
train_step = tf.train.AdamOptimizer(1e-3).minimize(cross_entropy)
correct_prediction = tf.equal(tf.argmax(y_conv, 1), tf.argmax(y_, 1))
accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    first = sess.run(cross_entropy, {x: images, y_: onehot, keep_prob: 1.0})
    for i in range(30):
        train_step.run(feed_dict={x: images, y_: onehot, keep_prob: 0.8})
    result = cross_entropy.eval(feed_dict={x: images, y_: onehot, keep_prob: 1.0})
    acc = accuracy.eval(feed_dict={x: images, y_: onehot, keep_prob: 1.0})
"""

# 3. tf.layers CNN whose `training` flag is an unshaped bool placeholder
LAYERS_CNN = """
tf.set_random_seed(0)
rs = np.random.RandomState(2)
labels = rs.randint(0, 5, 48)
images = (rs.rand(5, 12, 12, 1)[labels] + 0.3 * rs.rand(48, 12, 12, 1)).astype(np.float32)
x = tf.placeholder(tf.float32, [None, 12, 12, 1])
y = tf.placeholder(tf.int32, [None])
is_training = tf.placeholder(tf.bool)
net = tf.layers.conv2d(x, 8, 3, padding='same', activation=tf.nn.relu)
net = tf.layers.batch_normalization(net, training=is_training)
net = tf.layers.max_pooling2d(net, 2, 2)
net = tf.layers.flatten(net)
net = tf.layers.dropout(net, rate=0.25, training=is_training)
assert net.get_shape().as_list() == [None, 6 * 6 * 8]
logits = tf.layers.dense(net, 5)
loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
with tf.control_dependencies(update_ops):
    train_op = tf.train.AdamOptimizer(0.01).minimize(loss)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    first = sess.run(loss, {x: images, y: labels, is_training: False})
    for _ in range(25):
        sess.run(train_op, {x: images, y: labels, is_training: True})
    result = sess.run(loss, {x: images, y: labels, is_training: False})
"""

# 4. a small conditional DCGAN: transposed convolutions, batch norm, leaky ReLU, a label map
# concatenated to feature maps of unknown batch size, two optimizers over scoped variables
DCGAN = """
tf.set_random_seed(0)
rs = np.random.RandomState(3)
batch, z_dim, n_cls = 16, 8, 3

def lrelu(x, leak=0.2):
    return tf.maximum(x, leak * x)

def conv_cond_concat(x, y):
    x_shapes = tf.shape(x)
    y_shapes = y.get_shape()
    return tf.concat([x, y * tf.ones([x_shapes[0], x_shapes[1], x_shapes[2], y_shapes[3]])], 3)

def generator(z, y, training):
    with tf.variable_scope("generator"):
        h = tf.layers.dense(tf.concat([z, y], 1), 4 * 4 * 16)
        h = tf.nn.relu(tf.layers.batch_normalization(h, training=training))
        h = tf.reshape(h, [-1, 4, 4, 16])
        h = tf.layers.conv2d_transpose(h, 8, 4, strides=2, padding='same')
        h = tf.nn.relu(tf.layers.batch_normalization(h, training=training))
        return tf.nn.tanh(tf.layers.conv2d_transpose(h, 1, 4, strides=2, padding='same'))

def discriminator(image, y, reuse=False):
    with tf.variable_scope("discriminator", reuse=reuse):
        yb = tf.reshape(y, [-1, 1, 1, n_cls])
        h = conv_cond_concat(image, yb)
        h = lrelu(tf.layers.conv2d(h, 8, 4, strides=2, padding='same'))
        h = lrelu(tf.layers.conv2d(h, 16, 4, strides=2, padding='same'))
        h = tf.concat([tf.layers.flatten(h), y], 1)
        logits = tf.layers.dense(h, 1)
        return tf.nn.sigmoid(logits), logits

images = tf.placeholder(tf.float32, [None, 16, 16, 1])
z = tf.placeholder(tf.float32, [None, z_dim])
y = tf.placeholder(tf.float32, [None, n_cls])
training = tf.placeholder_with_default(True, [])
G = generator(z, y, training)
D, D_logits = discriminator(images, y)
D_, D_logits_ = discriminator(G, y, reuse=True)
d_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
    logits=D_logits, labels=tf.ones_like(D))) + tf.reduce_mean(
    tf.nn.sigmoid_cross_entropy_with_logits(logits=D_logits_, labels=tf.zeros_like(D_)))
g_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
    logits=D_logits_, labels=tf.ones_like(D_)))
t_vars = tf.trainable_variables()
d_vars = [var for var in t_vars if 'discriminator' in var.name]
g_vars = [var for var in t_vars if 'generator' in var.name]
with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    d_optim = tf.train.AdamOptimizer(2e-3, beta1=0.5).minimize(d_loss, var_list=d_vars)
    g_optim = tf.train.AdamOptimizer(2e-3, beta1=0.5).minimize(g_loss, var_list=g_vars)
labels = np.eye(n_cls, dtype=np.float32)[rs.randint(0, n_cls, batch)]
real = np.tanh(rs.randn(batch, 16, 16, 1)).astype(np.float32)
d_losses = []
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    feed = {images: real, y: labels}
    for step in range(12):
        feed[z] = rs.uniform(-1, 1, [batch, z_dim]).astype(np.float32)
        _, dl = sess.run([d_optim, d_loss], feed)
        sess.run(g_optim, feed)
        d_losses.append(dl)
    samples = sess.run(G, {z: feed[z], y: labels, training: False})
first, result = d_losses[0], d_losses[-1]
assert samples.shape == (batch, 16, 16, 1) and np.all(np.abs(samples) <= 1)
"""

# 5. a variational autoencoder: reparameterisation with a run-time shaped normal draw
VAE = """
tf.set_random_seed(0)
rs = np.random.RandomState(4)
data = (rs.rand(4, 64)[rs.randint(0, 4, 128)] > 0.5).astype(np.float32)
x = tf.placeholder(tf.float32, [None, 64])
h = tf.layers.dense(x, 32, activation=tf.nn.relu)
z_mean = tf.layers.dense(h, 4)
z_log_sigma_sq = tf.layers.dense(h, 4)
eps = tf.random_normal(tf.shape(z_mean), 0, 1, dtype=tf.float32)
z = z_mean + tf.sqrt(tf.exp(z_log_sigma_sq)) * eps
hd = tf.layers.dense(z, 32, activation=tf.nn.relu)
x_logits = tf.layers.dense(hd, 64)
x_reconstr = tf.nn.sigmoid(x_logits)
reconstr_loss = tf.reduce_sum(
    tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=x_logits), 1)
latent_loss = -0.5 * tf.reduce_sum(
    1 + z_log_sigma_sq - tf.square(z_mean) - tf.exp(z_log_sigma_sq), 1)
cost = tf.reduce_mean(reconstr_loss + latent_loss)
optimizer = tf.train.AdamOptimizer(learning_rate=0.005).minimize(cost)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    first = np.mean([sess.run(cost, {x: data}) for _ in range(3)])
    for epoch in range(40):
        sess.run(optimizer, feed_dict={x: data})
    result = np.mean([sess.run(cost, {x: data}) for _ in range(3)])
"""

# 6. word2vec skip-gram with NCE, then nearest neighbours by cosine similarity and top_k
WORD2VEC_NCE = """
tf.set_random_seed(0)
rs = np.random.RandomState(5)
vocabulary_size, embedding_size, num_sampled, batch_size = 50, 16, 8, 64
text = np.concatenate([np.arange(i, i + 5) % vocabulary_size for i in range(0, 400, 5)])
centers = rs.randint(1, len(text) - 1, 512)
ctx = np.where(rs.rand(512) < 0.5, centers - 1, centers + 1)
train_inputs = tf.placeholder(tf.int32, shape=[batch_size])
train_labels = tf.placeholder(tf.int32, shape=[batch_size, 1])
embeddings = tf.Variable(tf.random_uniform([vocabulary_size, embedding_size], -1.0, 1.0))
embed = tf.nn.embedding_lookup(embeddings, train_inputs)
nce_weights = tf.Variable(tf.truncated_normal([vocabulary_size, embedding_size],
                                              stddev=1.0 / np.sqrt(embedding_size)))
nce_biases = tf.Variable(tf.zeros([vocabulary_size]))
loss = tf.reduce_mean(tf.nn.nce_loss(weights=nce_weights, biases=nce_biases,
                                     labels=train_labels, inputs=embed,
                                     num_sampled=num_sampled, num_classes=vocabulary_size))
optimizer = tf.train.GradientDescentOptimizer(1.0).minimize(loss)
norm = tf.sqrt(tf.reduce_sum(tf.square(embeddings), 1, keepdims=True))
normalized_embeddings = embeddings / norm
valid_dataset = tf.constant([1, 2, 3], dtype=tf.int32)
valid_embeddings = tf.nn.embedding_lookup(normalized_embeddings, valid_dataset)
similarity = tf.matmul(valid_embeddings, normalized_embeddings, transpose_b=True)
nearest = tf.nn.top_k(similarity, k=4)
losses = []
with tf.Session() as session:
    tf.global_variables_initializer().run()
    for step in range(120):
        i = (step * batch_size) % 512
        feed = {train_inputs: text[centers[i:i + batch_size]],
                train_labels: text[ctx[i:i + batch_size]][:, None]}
        _, loss_val = session.run([optimizer, loss], feed_dict=feed)
        losses.append(loss_val)
    top = session.run(nearest).indices
first, result = np.mean(losses[:10]), np.mean(losses[-10:])
assert top.shape == (3, 4) and list(top[:, 0]) == [1, 2, 3]
"""

# 7. the same skip-gram model trained with sampled softmax
WORD2VEC_SAMPLED_SOFTMAX = WORD2VEC_NCE.replace(
    "tf.nn.nce_loss(weights=nce_weights, biases=nce_biases,",
    "tf.nn.sampled_softmax_loss(weights=nce_weights, biases=nce_biases,",
).replace("GradientDescentOptimizer(1.0)", "GradientDescentOptimizer(0.5)")

# 8. a seq2seq copy task: LSTM encoder, LSTM decoder started from the encoder's state,
# a masked sequence loss (sequence_mask), gradient clipping
SEQ2SEQ = """
tf.set_random_seed(0)
rs = np.random.RandomState(6)
vocab, hidden, T, batch = 8, 24, 5, 32
src = rs.randint(2, vocab, (batch, T))
lengths = rs.randint(2, T + 1, batch)
go = np.ones((batch, 1), np.int64)
dec_in = np.concatenate([go, src[:, :-1]], 1)
enc_inputs = tf.placeholder(tf.int32, [None, T])
dec_inputs = tf.placeholder(tf.int32, [None, T])
targets = tf.placeholder(tf.int32, [None, T])
seq_len = tf.placeholder(tf.int32, [None])
embedding = tf.get_variable("embedding", [vocab, hidden])
with tf.variable_scope("encoder"):
    enc_cell = tf.nn.rnn_cell.LSTMCell(hidden)
    _, enc_state = tf.nn.dynamic_rnn(enc_cell, tf.nn.embedding_lookup(embedding, enc_inputs),
                                     sequence_length=seq_len, dtype=tf.float32)
with tf.variable_scope("decoder"):
    dec_cell = tf.nn.rnn_cell.LSTMCell(hidden)
    dec_out, _ = tf.nn.dynamic_rnn(dec_cell, tf.nn.embedding_lookup(embedding, dec_inputs),
                                   initial_state=enc_state, dtype=tf.float32)
logits = tf.layers.dense(dec_out, vocab)
mask = tf.sequence_mask(seq_len, T, dtype=tf.float32)
xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)
loss = tf.reduce_sum(xent * mask) / tf.reduce_sum(mask)
params = tf.trainable_variables()
grads, _ = tf.clip_by_global_norm(tf.gradients(loss, params), 5.0)
train_op = tf.train.AdamOptimizer(0.02).apply_gradients(zip(grads, params))
feed = {enc_inputs: src, dec_inputs: dec_in, targets: src, seq_len: lengths}
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    first = sess.run(loss, feed)
    for _ in range(30):
        sess.run(train_op, feed)
    result = sess.run(loss, feed)
"""

# 9. a dynamic_rnn GRU classifier over variable-length sequences, picking each sequence's
# last relevant output with tf.range(tf.shape(...)) and tf.gather
RNN_CLASSIFIER = """
tf.set_random_seed(0)
rs = np.random.RandomState(7)
n, T, D, classes = 64, 7, 3, 2
data = rs.randn(n, T, D).astype(np.float32)
lengths = rs.randint(3, T + 1, n)
labels = (data[np.arange(n), lengths - 1, 0] > 0).astype(np.int64)
x = tf.placeholder(tf.float32, [None, T, D])
y = tf.placeholder(tf.int64, [None])
sl = tf.placeholder(tf.int32, [None])
cell = tf.nn.rnn_cell.GRUCell(16)
output, state = tf.nn.dynamic_rnn(cell, x, sequence_length=sl, dtype=tf.float32)
batch_size = tf.shape(output)[0]
index = tf.range(0, batch_size) * T + (sl - 1)
last = tf.gather(tf.reshape(output, [-1, 16]), index)
weight = tf.Variable(tf.truncated_normal([16, classes], stddev=0.1))
bias = tf.Variable(tf.constant(0.1, shape=[classes]))
logits = tf.matmul(last, weight) + bias
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
train = tf.train.RMSPropOptimizer(0.02).minimize(loss)
acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
feed = {x: data, y: labels, sl: lengths}
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    first = sess.run(loss, feed)
    for _ in range(60):
        sess.run(train, feed)
    result, accuracy = sess.run([loss, acc], feed)
"""

# 10. save with tf.train.Saver, rebuild the graph, restore the latest checkpoint, keep training
SAVE_RESTORE = """
rs = np.random.RandomState(8)
X_data = rs.rand(64, 3).astype(np.float32)
Y_data = (X_data @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)

def build():
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.float32, [None, 1])
    w = tf.get_variable("w", [3, 1], initializer=tf.zeros_initializer())
    b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.3).minimize(loss, global_step=step)
    return x, y, loss, train, step

x, y, loss, train, step = build()
saver = tf.train.Saver(max_to_keep=3)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    first = sess.run(loss, {x: X_data, y: Y_data})
    for i in range(30):
        sess.run(train, {x: X_data, y: Y_data})
        if i % 10 == 9:
            saver.save(sess, os.path.join(ckpt_dir, "model.ckpt"), global_step=step)
    before = sess.run(loss, {x: X_data, y: Y_data})
tf.reset_default_graph()
x, y, loss, train, step = build()
saver = tf.train.Saver()
with tf.Session() as sess:
    ckpt = tf.train.get_checkpoint_state(ckpt_dir)
    saver.restore(sess, tf.train.latest_checkpoint(ckpt_dir))
    restored = sess.run(loss, {x: X_data, y: Y_data})
    restored_step = sess.run(step)
    for i in range(30):
        sess.run(train, {x: X_data, y: Y_data})
    result = sess.run(loss, {x: X_data, y: Y_data})
assert abs(restored - before) < 1e-6 and restored_step == 30
assert ckpt.model_checkpoint_path.endswith("model.ckpt-30")
"""

# 11. a tf.data input pipeline: from_tensor_slices, shuffle, batch, repeat, one-shot iterator
DATA_PIPELINE = """
tf.set_random_seed(0)
rs = np.random.RandomState(9)
features = rs.rand(200, 4).astype(np.float32)
targets = (features.sum(1, keepdims=True) > 2).astype(np.float32)
dataset = tf.data.Dataset.from_tensor_slices((features, targets))
dataset = dataset.shuffle(buffer_size=200, seed=1).batch(20).repeat()
iterator = tf.data.make_one_shot_iterator(dataset) if hasattr(tf.data, "make_one_shot_iterator") \\
    else dataset.make_one_shot_iterator()
next_x, next_y = iterator.get_next()
hidden = tf.layers.dense(next_x, 8, activation=tf.nn.tanh)
logits = tf.layers.dense(hidden, 1)
loss = tf.losses.sigmoid_cross_entropy(multi_class_labels=next_y, logits=logits)
train = tf.train.AdamOptimizer(0.05).minimize(loss)
losses = []
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(60):
        _, l = sess.run([train, loss])
        losses.append(l)
first, result = np.mean(losses[:5]), np.mean(losses[-5:])
"""

# 12. TensorBoard summaries: scalar and histogram summaries, merge_all, a FileWriter
SUMMARIES = """
tf.set_random_seed(0)
rs = np.random.RandomState(10)
xs = rs.rand(100, 2).astype(np.float32)
ys = (xs @ np.array([[3.0], [-1.0]], np.float32)).astype(np.float32)
x = tf.placeholder(tf.float32, [None, 2], name="x")
y = tf.placeholder(tf.float32, [None, 1], name="y")
with tf.name_scope("model"):
    W = tf.Variable(tf.random_normal([2, 1]), name="W")
    pred = tf.matmul(x, W)
with tf.name_scope("loss"):
    loss = tf.reduce_mean(tf.square(pred - y))
tf.summary.scalar("loss", loss)
tf.summary.histogram("weights", W)
merged = tf.summary.merge_all()
train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
with tf.Session() as sess:
    writer = tf.summary.FileWriter(log_dir, sess.graph)
    sess.run(tf.global_variables_initializer())
    first = sess.run(loss, {x: xs, y: ys})
    for step in range(20):
        summary, _ = sess.run([merged, train], {x: xs, y: ys})
        writer.add_summary(summary, step)
    writer.close()
    result = sess.run(loss, {x: xs, y: ys})
event_files = [f for f in os.listdir(log_dir) if "tfevents" in f]
assert event_files
"""

# 13. a feed_dict MLP with exponential learning-rate decay, momentum, L2 weight decay through
# kernel_regularizer, and an exponential moving average of the weights for evaluation
MLP_DECAY_EMA = """
tf.set_random_seed(0)
rs = np.random.RandomState(11)
X_train = rs.randn(256, 10).astype(np.float32)
y_train = (X_train[:, :3].sum(1) > 0).astype(np.int32)
x = tf.placeholder(tf.float32, [None, 10])
y = tf.placeholder(tf.int32, [None])
reg = lambda w: 1e-3 * tf.nn.l2_loss(w)
h = tf.layers.dense(x, 32, activation=tf.nn.relu, kernel_regularizer=reg)
logits = tf.layers.dense(h, 2, kernel_regularizer=reg)
xent = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
loss = xent + tf.losses.get_regularization_loss()
global_step = tf.Variable(0, trainable=False)
lr = tf.train.exponential_decay(0.1, global_step, 10, 0.9, staircase=True)
train = tf.train.MomentumOptimizer(lr, 0.9).minimize(loss, global_step=global_step)
ema = tf.train.ExponentialMovingAverage(0.9, global_step)
with tf.control_dependencies([train]):
    train_and_average = ema.apply(tf.trainable_variables())
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    first = sess.run(xent, {x: X_train, y: y_train})
    for i in range(40):
        idx = rs.randint(0, 256, 32)
        sess.run(train_and_average, {x: X_train[idx], y: y_train[idx]})
    result = sess.run(xent, {x: X_train, y: y_train})
    final_lr = sess.run(lr)
    averaged = sess.run(ema.average(tf.trainable_variables()[0]))
assert abs(final_lr - 0.1 * 0.9 ** 4) < 1e-6 and np.all(np.isfinite(averaged))
"""

# 14. linear regression "TensorFlow basics" with tf.get_variable and a variable_scope reused
# for evaluation, reduce_prod / cumsum in the bookkeeping
LINEAR_REGRESSION = """
rs = np.random.RandomState(12)
train_X = rs.rand(50).astype(np.float32) * 10
train_Y = 2.0 * train_X + 1.0 + rs.randn(50).astype(np.float32) * 0.1
X = tf.placeholder("float")
Y = tf.placeholder("float")
with tf.variable_scope("linear"):
    W = tf.get_variable("weight", [], initializer=tf.constant_initializer(0.5))
    b = tf.get_variable("bias", [], initializer=tf.constant_initializer(0.0))
pred = tf.add(tf.multiply(X, W), b)
cost = tf.reduce_sum(tf.pow(pred - Y, 2)) / (2 * 50)
optimizer = tf.train.GradientDescentOptimizer(0.01).minimize(cost)
with tf.variable_scope("linear", reuse=True):
    W_again = tf.get_variable("weight")
running = tf.cumsum(tf.constant([1.0, 2.0, 3.0]))
volume = tf.reduce_prod(tf.constant([2.0, 3.0, 4.0]))
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    first = sess.run(cost, feed_dict={X: train_X, Y: train_Y})
    for epoch in range(100):
        for (xv, yv) in zip(train_X[:10], train_Y[:10]):
            sess.run(optimizer, feed_dict={X: xv, Y: yv})
    result = sess.run(cost, feed_dict={X: train_X, Y: train_Y})
    w_val, w_same, r, v = sess.run([W, W_again, running, volume])
assert w_val == w_same and list(r) == [1.0, 3.0, 6.0] and v == 24.0
"""

# 15. an image-augmentation pipeline in the graph: random flips, resizing, per-image
# standardisation, crops, then a small CNN
IMAGE_AUGMENT_CNN = """
tf.set_random_seed(0)
rs = np.random.RandomState(13)
labels = rs.randint(0, 3, 48)
images = (rs.rand(3, 10, 10, 3)[labels] + 0.2 * rs.rand(48, 10, 10, 3)).astype(np.float32)
x = tf.placeholder(tf.float32, [None, 10, 10, 3])
y = tf.placeholder(tf.int64, [None])
augmented = tf.image.random_flip_left_right(x)
augmented = tf.image.resize_images(augmented, [12, 12])
augmented = tf.image.crop_to_bounding_box(augmented, 1, 1, 10, 10)
augmented = tf.image.per_image_standardization(augmented)
net = tf.layers.conv2d(augmented, 8, 3, activation=tf.nn.relu)
net = tf.layers.average_pooling2d(net, 2, 2)
logits = tf.layers.dense(tf.layers.flatten(net), 3)
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
train = tf.train.AdamOptimizer(0.01).minimize(loss)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    first = sess.run(loss, {x: images, y: labels})
    for _ in range(25):
        sess.run(train, {x: images, y: labels})
    result = sess.run(loss, {x: images, y: labels})
"""

# name -> (program, how results compare: "close" (same numbers up to float rounding; the
# program starts from fixed values) or "learns" (both frameworks lower the loss by the factor))
PROGRAMS = {
    "mnist_softmax": (MNIST_SOFTMAX, "close"),
    "deep_mnist_cnn": (DEEP_MNIST, "learns"),
    "layers_cnn_bool_training": (LAYERS_CNN, "learns"),
    "dcgan_conditional": (DCGAN, "runs"),
    "vae": (VAE, "learns"),
    "word2vec_nce": (WORD2VEC_NCE, "learns"),
    "word2vec_sampled_softmax": (WORD2VEC_SAMPLED_SOFTMAX, "learns"),
    "seq2seq_copy": (SEQ2SEQ, "learns"),
    "dynamic_rnn_classifier": (RNN_CLASSIFIER, "learns"),
    "save_restore": (SAVE_RESTORE, "close"),
    "data_pipeline": (DATA_PIPELINE, "learns"),
    "tensorboard_summaries": (SUMMARIES, "learns"),
    "mlp_decay_ema": (MLP_DECAY_EMA, "learns"),
    "linear_regression": (LINEAR_REGRESSION, "close"),
    "image_augment_cnn": (IMAGE_AUGMENT_CNN, "learns"),
}
