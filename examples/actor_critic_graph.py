"""An actor-critic agent on CartPole in the TF1 style: a shared layer, a policy head whose
`tf.distributions.Categorical` draws the actions, a value head as the baseline, Adam after
every episode. Same start, same draws, same updates as actor_critic_eager.py: the same bits."""

import _common
import duograd.frontends.graph as tf
import numpy as np
from _cartpole import CartPole, actor_critic_init, discounted_returns
from _progress import Progress


def _dense(x, w, b):
    return tf.matmul(x, w, transpose_b=True) + b  # (out, in) weights, as the eager twin's


def train(episodes: int, quiet: bool = False):
    """Play and learn; return (parameters, each episode's length)."""
    env = CartPole(seed=0)
    graph = tf.Graph()
    with graph.as_default():
        names = ("shared_w", "shared_b", "policy_w", "policy_b", "value_w", "value_b")
        sw, sb, pw, pb, vw, vb = params = [
            tf.Variable(v, name=n) for v, n in zip(actor_critic_init(), names, strict=True)
        ]
        # acting: one state at a time (sampling needs a fully defined shape)
        state_now = tf.placeholder(tf.float32, [1, 4])
        draw = tf.distributions.Categorical(
            logits=_dense(tf.nn.relu(_dense(state_now, sw, sb)), pw, pb)
        ).sample()
        # learning: the whole episode at once
        states = tf.placeholder(tf.float32, [None, 4])
        actions = tf.placeholder(tf.int64, [None])
        returns = tf.placeholder(tf.float32, [None])
        h = tf.nn.relu(_dense(states, sw, sb))
        logits, values = _dense(h, pw, pb), tf.squeeze(_dense(h, vw, vb), [1])
        policy = tf.distributions.Categorical(logits=logits)
        advantage = returns - tf.stop_gradient(values)
        loss = -tf.reduce_mean(policy.log_prob(actions) * advantage) + 0.5 * tf.reduce_mean(
            tf.square(returns - values)
        )
        # eps_mode="torch": PyTorch's epsilon placement, so both styles run the same update
        step = tf.train.AdamOptimizer(0.01, eps_mode="torch").minimize(loss)
        lengths = []
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.set_random_seed(0)  # the action draws
            progress = Progress(episodes, quiet, desc="episodes")
            for episode in range(episodes):
                state, done, seen, taken, rewards = env.reset(), False, [], [], []
                while not done:
                    action = int(sess.run(draw, {state_now: state[None]})[0])
                    seen.append(state)
                    taken.append(action)
                    state, reward, done = env.step(action)
                    rewards.append(reward)
                feed = {
                    states: np.stack(seen),
                    actions: np.array(taken, np.int64),
                    returns: discounted_returns(rewards),
                }
                sess.run(step, feed)
                lengths.append(len(rewards))
                progress.update(episode, length=len(rewards))
            values_out = sess.run(params)
    return values_out, lengths


if __name__ == "__main__":
    args = _common.parse(__doc__, 150)
    params, lengths = train(args.steps, args.quiet)
    first, last = np.mean(lengths[:10]), np.mean(lengths[-10:])
    print(f"graph: mean episode length, first 10: {first:.1f}, last 10: {last:.1f}")
