// core/autograd.h — a define-by-run tape. Each differentiable op computes its outputs, then calls
// autograd::record(kind, inputs, outputs, backward_fn); when grad mode is on and some input requires grad, a Node
// joins the graph. Tensor::backward() walks the nodes in reverse topological order, accumulating gradients.
//
// Rules for op writers (see core/ops_*.cpp):
//  - capture inputs by value if the backward needs them, outputs only as out.detach() (an output that holds its own
//    node would be a reference cycle);
//  - the backward receives one gradient per output (zeros where an output got none) and returns one per input, in
//    order; an entry may be undefined when that input does not require grad;
//  - backward runs with grad mode off; the graph's closures are freed after use (no second backward).
#pragma once
#include <functional>
#include <vector>

#include "core/ops.h"
#include "core/tensor.h"

namespace ls {

using TensorList = std::vector<Tensor>;

struct Node {
  OpKind kind;
  TensorList inputs;
  std::vector<Shape> output_shapes;
  Device device = Device::CPU;
  std::function<TensorList(const TensorList& grad_outputs)> backward;
};

namespace autograd {

bool grad_enabled();

// Turns graph recording off for its scope (evaluation, EMA updates, optimizer steps, data generation).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when an op with these inputs must record a node.
bool needs_grad(const TensorList& inputs);

// Connects outputs to a new node when needs_grad(inputs); otherwise does nothing.
void record(OpKind kind, const TensorList& inputs, const TensorList& outputs,
            std::function<TensorList(const TensorList&)> backward);

// The engine behind Tensor::backward(): root must hold one element; seeds its gradient with 1.
void backward(const Tensor& root);

// Every op kind seen in the graph that produced `root` (used by the op-coverage test).
std::vector<OpKind> kinds_in_graph(const Tensor& root);

}  // namespace autograd
}  // namespace ls
