"""Typical PyTorch and TF1 CNN / LSTM / Transformer tutorial programs run after changing only
their import lines (iteration counts shortened, random data in place of downloaded datasets)."""

from __future__ import annotations

import textwrap

TORCH_HEADER = """
import duograd.frontends.eager as torch
import duograd.frontends.eager.nn as nn
import duograd.frontends.eager.nn.functional as F
import duograd.frontends.eager.optim as optim
import math
"""
TF_HEADER = """
import duograd.frontends.graph as tf
rnn = tf.contrib.rnn
import numpy as np
"""

# PyTorch's "Sequence Models and Long Short-Term Memory Networks" (part-of-speech tagger)
LSTM_TAGGER = """
torch.manual_seed(1)
def prepare_sequence(seq, to_ix):
    idxs = [to_ix[w] for w in seq]
    return torch.tensor(idxs, dtype=torch.long)

training_data = [
    ("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("Everybody read that book".split(), ["NN", "V", "DET", "NN"])
]
word_to_ix = {}
for sent, tags in training_data:
    for word in sent:
        if word not in word_to_ix:
            word_to_ix[word] = len(word_to_ix)
tag_to_ix = {"DET": 0, "NN": 1, "V": 2}
EMBEDDING_DIM = 6
HIDDEN_DIM = 6

class LSTMTagger(nn.Module):
    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super(LSTMTagger, self).__init__()
        self.hidden_dim = hidden_dim
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim)
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
        tag_scores = F.log_softmax(tag_space, dim=1)
        return tag_scores

model = LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, len(word_to_ix), len(tag_to_ix))
loss_function = nn.NLLLoss()
optimizer = optim.SGD(model.parameters(), lr=0.1)
with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix)
    tag_scores = model(inputs)
    first_scores = tag_scores.shape
losses = []
for epoch in range(150):
    for sentence, tags in training_data:
        model.zero_grad()
        sentence_in = prepare_sequence(sentence, word_to_ix)
        targets = prepare_sequence(tags, tag_to_ix)
        tag_scores = model(sentence_in)
        loss = loss_function(tag_scores, targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix)
    tag_scores = model(inputs)
    predicted = tag_scores.argmax(dim=1).tolist()

"""

# PyTorch's "Language Modeling with nn.Transformer" model on random tokens
TRANSFORMER_LM = """
class PositionalEncoding(nn.Module):
    def __init__(self, d_model: int, dropout: float = 0.1, max_len: int = 5000):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer('pe', pe)

    def forward(self, x):
        x = x + self.pe[:x.size(0)]
        return self.dropout(x)

class TransformerModel(nn.Module):
    def __init__(self, ntoken: int, d_model: int, nhead: int, d_hid: int,
                 nlayers: int, dropout: float = 0.5):
        super().__init__()
        self.model_type = 'Transformer'
        self.pos_encoder = PositionalEncoding(d_model, dropout)
        encoder_layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers)
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, ntoken)
        self.init_weights()

    def init_weights(self) -> None:
        initrange = 0.1
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.linear.bias.data.zero_()
        self.linear.weight.data.uniform_(-initrange, initrange)

    def forward(self, src, src_mask=None):
        src = self.embedding(src) * math.sqrt(self.d_model)
        src = self.pos_encoder(src)
        if src_mask is None:
            src_mask = nn.Transformer.generate_square_subsequent_mask(len(src))
        output = self.transformer_encoder(src, src_mask)
        output = self.linear(output)
        return output

ntokens = 20
model = TransformerModel(ntokens, 16, 2, 32, 2, 0.1)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
scheduler_ok = True
data = torch.randint(0, ntokens, (12, 4))
tlosses = []
model.train()
for i in range(15):
    src, targets = data[:-1], data[1:].reshape(-1)
    output = model(src)
    output_flat = output.view(-1, ntokens)
    loss = criterion(output_flat, targets)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    optimizer.step()
    tlosses.append(loss.item())
losses = tlosses
"""

# PyTorch's "Training a classifier" CNN on random 32x32 images
CIFAR_CNN = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1) # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

torch.manual_seed(0)
net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
inputs = torch.randn(8, 3, 32, 32)
labels = torch.randint(0, 10, (8,))
losses = []
for epoch in range(30):
    running_loss = 0.0
    optimizer.zero_grad()
    outputs = net(inputs)
    loss = criterion(outputs, labels)
    loss.backward()
    optimizer.step()
    running_loss += loss.item()
    losses.append(running_loss)
correct = 0
total = 0
with torch.no_grad():
    outputs = net(inputs)
    _, predicted = torch.max(outputs.data, 1)
    total += labels.size(0)
    correct += (predicted == labels).sum().item()
"""

# the TF1 "Recurrent Neural Network (LSTM)" MNIST example (static_rnn over image rows)
TF_STATIC_RNN = """
# "Recurrent Neural Network (LSTM)" MNIST example with static_rnn
learning_rate = 0.001
training_steps = 30
batch_size = 16
num_input = 28
timesteps = 28
num_hidden = 32
num_classes = 10
X = tf.placeholder("float", [None, timesteps, num_input])
Y = tf.placeholder("float", [None, num_classes])
weights = {'out': tf.Variable(tf.random_normal([num_hidden, num_classes]))}
biases = {'out': tf.Variable(tf.random_normal([num_classes]))}
def RNN(x, weights, biases):
    x = tf.unstack(x, timesteps, 1)
    lstm_cell = rnn.BasicLSTMCell(num_hidden, forget_bias=1.0)
    outputs, states = rnn.static_rnn(lstm_cell, x, dtype=tf.float32)
    return tf.matmul(outputs[-1], weights['out']) + biases['out']
logits = RNN(X, weights, biases)
prediction = tf.nn.softmax(logits)
loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=Y))
optimizer = tf.train.GradientDescentOptimizer(learning_rate=learning_rate)
optimizer = tf.train.AdamOptimizer(learning_rate=0.01)
train_op = optimizer.minimize(loss_op)
correct_pred = tf.equal(tf.argmax(prediction, 1), tf.argmax(Y, 1))
accuracy = tf.reduce_mean(tf.cast(correct_pred, tf.float32))
init = tf.global_variables_initializer()
rs = np.random.RandomState(0)
bx = rs.rand(batch_size, timesteps, num_input).astype(np.float32)
by = np.eye(num_classes)[rs.randint(0, num_classes, batch_size)].astype(np.float32)
losses = []
with tf.Session() as sess:
    sess.run(init)
    for step in range(1, training_steps + 1):
        sess.run(train_op, feed_dict={X: bx, Y: by})
        loss, acc = sess.run([loss_op, accuracy], feed_dict={X: bx, Y: by})
        losses.append(loss)
"""

# a TF1 char-RNN: stacked BasicLSTMCells with dropout, dynamic_rnn, global-norm clipping,
# apply_gradients, and a one-step sampling graph feeding the state back
TF_CHAR_RNN = """
vocab_size, batch_size, num_steps, hidden, layers = 12, 8, 10, 32, 2
text = np.array([i % vocab_size for i in range(400)])
inputs = tf.placeholder(tf.int32, [batch_size, num_steps])
targets = tf.placeholder(tf.int32, [batch_size, num_steps])
keep_prob = tf.placeholder(tf.float32)

def make_cell():
    cell = tf.nn.rnn_cell.BasicLSTMCell(hidden)
    return tf.nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=keep_prob)

with tf.variable_scope("char_rnn"):
    cell = tf.nn.rnn_cell.MultiRNNCell([make_cell() for _ in range(layers)])
    initial_state = cell.zero_state(batch_size, tf.float32)
    embedding = tf.get_variable("embedding", [vocab_size, hidden])
    emb = tf.nn.embedding_lookup(embedding, inputs)
    outputs, final_state = tf.nn.dynamic_rnn(cell, emb, initial_state=initial_state)
    output = tf.reshape(outputs, [-1, hidden])
    softmax_w = tf.get_variable("softmax_w", [hidden, vocab_size])
    softmax_b = tf.get_variable("softmax_b", [vocab_size], initializer=tf.zeros_initializer())
    logits = tf.matmul(output, softmax_w) + softmax_b
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.reshape(targets, [-1]), logits=logits))
tvars = tf.trainable_variables()
grads, _ = tf.clip_by_global_norm(tf.gradients(loss, tvars), 5.0)
optimizer = tf.train.AdamOptimizer(0.01)
train_op = optimizer.apply_gradients(zip(grads, tvars))

with tf.variable_scope("char_rnn", reuse=True):
    one = tf.placeholder(tf.int32, [1, 1])
    sample_init = cell.zero_state(1, tf.float32)
    emb1 = tf.nn.embedding_lookup(tf.get_variable("embedding"), one)
    out1, state1 = tf.nn.dynamic_rnn(cell, emb1, initial_state=sample_init)
    probs = tf.nn.softmax(tf.matmul(tf.reshape(out1, [-1, hidden]),
                                    tf.get_variable("softmax_w")) + tf.get_variable("softmax_b"))

losses = []
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    state = sess.run(initial_state)
    for step in range(25):
        start = (step * num_steps) % 300
        x = np.stack([text[start + b: start + b + num_steps] for b in range(batch_size)])
        y = np.stack([text[start + b + 1: start + b + num_steps + 1] for b in range(batch_size)])
        feed = {inputs: x, targets: y, keep_prob: 0.9}
        for i, (c, h) in enumerate(initial_state):
            feed[c] = state[i].c
            feed[h] = state[i].h
        value, state, _ = sess.run([loss, final_state, train_op], feed)
        losses.append(value)
    s = sess.run(sample_init)
    sampled = [3]
    for _ in range(5):
        feed = {one: [[sampled[-1]]], keep_prob: 1.0}
        for i, (c, h) in enumerate(sample_init):
            feed[c], feed[h] = s[i].c, s[i].h
        p, s = sess.run([probs, state1], feed)
        sampled.append(int(np.argmax(p)))
"""

# a TF1 tf.layers CNN with batch normalisation, its UPDATE_OPS and dropout
TF_LAYERS_CNN = """
x = tf.placeholder(tf.float32, [None, 784])
y = tf.placeholder(tf.int64, [None])
training = tf.placeholder_with_default(False, shape=())
input_layer = tf.reshape(x, [-1, 28, 28, 1])
conv1 = tf.layers.conv2d(inputs=input_layer, filters=8, kernel_size=[5, 5], padding="same",
                         activation=tf.nn.relu)
pool1 = tf.layers.max_pooling2d(inputs=conv1, pool_size=[2, 2], strides=2)
conv2 = tf.layers.conv2d(inputs=pool1, filters=8, kernel_size=[5, 5], padding="same")
bn = tf.nn.relu(tf.layers.batch_normalization(conv2, training=training))
pool2 = tf.layers.max_pooling2d(inputs=bn, pool_size=[2, 2], strides=2)
pool2_flat = tf.reshape(pool2, [-1, 7 * 7 * 8])
dense = tf.layers.dense(inputs=pool2_flat, units=32, activation=tf.nn.relu)
dropout = tf.layers.dropout(inputs=dense, rate=0.4, training=training)
logits = tf.layers.dense(inputs=dropout, units=10)
loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
with tf.control_dependencies(update_ops):
    train_op = tf.train.AdamOptimizer(1e-3).minimize(
        loss, global_step=tf.train.get_or_create_global_step())
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
rs = np.random.RandomState(1)
bx = rs.rand(16, 784).astype(np.float32)
by = rs.randint(0, 10, 16)
losses = []
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(15):
        _, value = sess.run([train_op, loss], {x: bx, y: by, training: True})
        losses.append(value)
    acc = sess.run(accuracy, {x: bx, y: by})
    step = sess.run(tf.train.get_global_step())
    moving = sess.run([v for v in tf.global_variables() if "moving_mean" in v.name][0])
"""


def _run(header: str, program: str) -> dict:
    scope: dict = {}
    exec(compile(header + textwrap.dedent(program), "<tutorial>", "exec"), scope)
    return scope


def _learned(scope: dict) -> None:
    losses = scope["losses"]
    assert losses[-1] < 0.8 * losses[0], (losses[0], losses[-1])


def test_pytorch_lstm_tagger_learns_to_tag_its_sentence():
    scope = _run(TORCH_HEADER, LSTM_TAGGER)
    _learned(scope)
    assert tuple(scope["first_scores"]) == (5, 3)
    assert scope["predicted"] == [0, 1, 2, 0, 1]  # DET NN V DET NN


def test_pytorch_transformer_language_model_learns():
    _learned(_run(TORCH_HEADER, TRANSFORMER_LM))


def test_pytorch_cifar_cnn_learns_and_counts_its_predictions():
    scope = _run(TORCH_HEADER, CIFAR_CNN)
    _learned(scope)
    assert scope["total"] == 8 and scope["correct"] > 8 * 0.1


def test_tf1_static_rnn_mnist_example_learns():
    _learned(_run(TF_HEADER, TF_STATIC_RNN))


def test_tf1_char_rnn_learns_and_samples():
    scope = _run(TF_HEADER, TF_CHAR_RNN)
    _learned(scope)
    assert len(scope["sampled"]) == 6 and all(0 <= s < 12 for s in scope["sampled"])


def test_tf1_layers_cnn_learns_and_moves_its_averages():
    scope = _run(TF_HEADER, TF_LAYERS_CNN)
    _learned(scope)
    assert scope["step"] == 15 and 0 <= scope["acc"] <= 1 and abs(scope["moving"]).sum() > 0
