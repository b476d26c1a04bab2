// core/autograd.cpp — the backward engine of core/autograd.h.
#include "core/autograd.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "kernels/error.h"

namespace ls::autograd {

static thread_local bool g_grad_enabled = true;

bool grad_enabled() { return g_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

bool needs_grad(const TensorList& inputs) {
  if (!g_grad_enabled) return false;
  return std::any_of(inputs.begin(), inputs.end(), [](const Tensor& t) { return t.requires_grad(); });
}

void record(OpKind kind, const TensorList& inputs, const TensorList& outputs,
            std::function<TensorList(const TensorList&)> backward_fn) {
  if (!needs_grad(inputs)) return;
  auto node = std::make_shared<Node>();
  node->kind = kind;
  node->inputs = inputs;
  node->device = outputs.at(0).device();
  for (const Tensor& o : outputs) node->output_shapes.push_back(o.shape());
  node->backward = std::move(backward_fn);
  for (size_t k = 0; k < outputs.size(); ++k) const_cast<Tensor&>(outputs[k]).set_history(node, int(k));
}

// Nodes reachable from root, each after every node that consumes its outputs (reverse post-order of a DFS).
// Holds shared pointers: the engine frees inputs as it goes, which may drop the last other owner of a node.
static std::vector<std::shared_ptr<Node>> topological_order(const std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> post;
  std::unordered_set<Node*> seen{root.get()};
  std::vector<std::pair<std::shared_ptr<Node>, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      const Tensor& in = node->inputs[next++];
      if (in.defined() && in.grad_fn() && seen.insert(in.grad_fn().get()).second) stack.push_back({in.grad_fn(), 0});
    } else {
      post.push_back(node);
      stack.pop_back();
    }
  }
  std::reverse(post.begin(), post.end());
  return post;
}

static void accumulate(Tensor& slot, const Tensor& g) { slot = slot.defined() ? add(slot, g) : g; }

void backward(const Tensor& root) {
  LS_CHECK(root.numel() == 1, "backward() needs a one-element tensor, got shape {}", shape_str(root.shape()));
  LS_CHECK(root.requires_grad(), "backward() on a tensor that does not require grad");
  NoGradGuard no_grad;
  const Tensor seed = Tensor::full(root.shape(), 1.f, root.device());
  if (!root.grad_fn()) {
    Tensor g = root.grad();
    accumulate(g, seed);
    const_cast<Tensor&>(root).set_grad(g);
    return;
  }
  std::unordered_map<Node*, TensorList> pending;
  pending[root.grad_fn().get()].resize(root.grad_fn()->output_shapes.size());
  pending[root.grad_fn().get()][size_t(root.output_index())] = seed;

  for (const std::shared_ptr<Node>& node : topological_order(root.grad_fn())) {
    LS_CHECK(node->backward, "{}: backward through a graph a second time (its buffers were freed)",
             op_name(node->kind));
    TensorList gouts = std::move(pending[node.get()]);
    gouts.resize(node->output_shapes.size());
    for (size_t k = 0; k < gouts.size(); ++k)
      if (!gouts[k].defined()) gouts[k] = Tensor::zeros(node->output_shapes[k], node->device);
    TensorList gins = node->backward(gouts);
    LS_CHECK(gins.size() == node->inputs.size(), "{}: backward returned {} gradients for {} inputs",
             op_name(node->kind), gins.size(), node->inputs.size());
    for (size_t i = 0; i < gins.size(); ++i) {
      Tensor& in = node->inputs[i];
      if (!in.defined() || !in.requires_grad()) continue;
      LS_CHECK(gins[i].defined(), "{}: no gradient for input {} that requires grad", op_name(node->kind), i);
      LS_CHECK(gins[i].shape() == in.shape(), "{}: gradient of input {} has shape {}, input has {}",
               op_name(node->kind), i, shape_str(gins[i].shape()), shape_str(in.shape()));
      if (in.grad_fn()) {
        TensorList& slots = pending[in.grad_fn().get()];
        slots.resize(in.grad_fn()->output_shapes.size());
        accumulate(slots[size_t(in.output_index())], gins[i]);
      } else {
        Tensor g = in.grad();
        accumulate(g, gins[i]);
        in.set_grad(g);
      }
    }
    node->backward = nullptr;  // free what the closure saved
    node->inputs.clear();
  }
}

std::vector<OpKind> kinds_in_graph(const Tensor& root) {
  std::vector<OpKind> kinds;
  if (!root.grad_fn()) return kinds;
  for (const auto& n : topological_order(root.grad_fn())) kinds.push_back(n->kind);
  return kinds;
}

}  // namespace ls::autograd
