/**
 * MJCF of the planar two-link reacher, written for lamkit from the
 * specification of Gymnasium's `reacher.xml` (see
 * `shared/reference/README.md`): RK4 at 0.01 s, joint armature 1 and damping
 * 1, inertias from geoms, two motors with gear 200 and ctrlrange [-1, 1], a
 * target on two slide joints. Nothing collides.
 */
export const REACHER_XML = `<mujoco model="reacher">
  <compiler angle="radian" inertiafromgeom="true"/>
  <size memory="256K"/>
  <option gravity="0 0 -9.81" integrator="RK4" timestep="0.01"/>
  <default>
    <joint armature="1" damping="1" limited="true"/>
    <geom contype="0" friction="1 0.1 0.1" rgba="0.7 0.7 0 1"/>
  </default>
  <worldbody>
    <geom name="ground" type="plane" pos="0 0 0" size="1 1 10" conaffinity="0" rgba="0.9 0.9 0.9 1"/>
    <geom name="side_south" type="capsule" fromto="-0.3 -0.3 0.01 0.3 -0.3 0.01" size="0.02" conaffinity="0" rgba="0.9 0.4 0.6 1"/>
    <geom name="side_east" type="capsule" fromto="0.3 -0.3 0.01 0.3 0.3 0.01" size="0.02" conaffinity="0" rgba="0.9 0.4 0.6 1"/>
    <geom name="side_north" type="capsule" fromto="-0.3 0.3 0.01 0.3 0.3 0.01" size="0.02" conaffinity="0" rgba="0.9 0.4 0.6 1"/>
    <geom name="side_west" type="capsule" fromto="-0.3 -0.3 0.01 -0.3 0.3 0.01" size="0.02" conaffinity="0" rgba="0.9 0.4 0.6 1"/>
    <geom name="root" type="cylinder" fromto="0 0 0 0 0 0.02" size="0.011" conaffinity="0" rgba="0.9 0.4 0.6 1"/>
    <body name="body0" pos="0 0 0.01">
      <joint name="joint0" type="hinge" axis="0 0 1" pos="0 0 0" limited="false"/>
      <geom name="link0" type="capsule" fromto="0 0 0 0.1 0 0" size="0.01" rgba="0 0.4 0.6 1"/>
      <body name="body1" pos="0.1 0 0">
        <joint name="joint1" type="hinge" axis="0 0 1" pos="0 0 0" range="-3 3"/>
        <geom name="link1" type="capsule" fromto="0 0 0 0.1 0 0" size="0.01" rgba="0 0.4 0.6 1"/>
        <body name="fingertip" pos="0.11 0 0">
          <geom name="fingertip" type="sphere" pos="0 0 0" size="0.01" contype="0" rgba="0 0.8 0.6 1"/>
        </body>
      </body>
    </body>
    <body name="target" pos="0.1 -0.1 0.01">
      <joint name="target_x" type="slide" axis="1 0 0" pos="0 0 0" ref="0.1" range="-0.27 0.27" armature="0" damping="0" stiffness="0"/>
      <joint name="target_y" type="slide" axis="0 1 0" pos="0 0 0" ref="-0.1" range="-0.27 0.27" armature="0" damping="0" stiffness="0"/>
      <geom name="target" type="sphere" pos="0 0 0" size="0.009" contype="0" conaffinity="0" rgba="0.9 0.2 0.2 1"/>
    </body>
  </worldbody>
  <actuator>
    <motor name="joint0" joint="joint0" gear="200" ctrllimited="true" ctrlrange="-1 1"/>
    <motor name="joint1" joint="joint1" gear="200" ctrllimited="true" ctrlrange="-1 1"/>
  </actuator>
</mujoco>
`;
