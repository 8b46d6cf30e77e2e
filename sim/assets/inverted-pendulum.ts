/**
 * MJCF of the MuJoCo cart-pole, written for lamkit from the specification of
 * Gymnasium's `inverted_pendulum.xml` (see `shared/reference/README.md`):
 * RK4 at 0.02 s, joint damping 1, a slider cart (range [-1, 1]) carrying a
 * hinged pole (range +-90 degrees), one motor with gear 100 and ctrlrange
 * [-3, 3]. Nothing collides.
 */
export const INVERTED_PENDULUM_XML = `<mujoco model="inverted_pendulum">
  <compiler angle="degree" inertiafromgeom="true"/>
  <size memory="256K"/>
  <option gravity="0 0 -9.81" integrator="RK4" timestep="0.02"/>
  <default>
    <joint armature="0" damping="1" limited="true"/>
    <geom contype="0" friction="1 0.1 0.1" rgba="0.7 0.7 0 1"/>
  </default>
  <worldbody>
    <geom name="rail" type="capsule" pos="0 0 0" zaxis="1 0 0" size="0.02 1" rgba="0.3 0.3 0.7 1"/>
    <body name="cart" pos="0 0 0">
      <joint name="slider" type="slide" axis="1 0 0" pos="0 0 0" range="-1 1"/>
      <geom name="cart" type="capsule" pos="0 0 0" zaxis="1 0 0" size="0.1 0.1"/>
      <body name="pole" pos="0 0 0">
        <joint name="hinge" type="hinge" axis="0 1 0" pos="0 0 0" range="-90 90"/>
        <geom name="cpole" type="capsule" fromto="0 0 0 0.001 0 0.6" size="0.049" rgba="0 0.7 0.7 1"/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="slide" joint="slider" gear="100" ctrllimited="true" ctrlrange="-3 3"/>
  </actuator>
</mujoco>
`;
